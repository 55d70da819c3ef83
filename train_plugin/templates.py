"""Records as chat messages, and the one way prompts are rendered: training and evalkit generation share it.

Instruction records become one user turn and one assistant turn. The user turn is the instruction alone when
`input` is empty, else the instruction, a blank line, then the input:

    {"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"}
    -> [{"role": "user", "content": "Translate to French.\n\nGood morning"},
        {"role": "assistant", "content": "Bonjour"}]

Chat records keep their messages. Preference records give the prompt turns plus the chosen answer. Prompt records
(eval items) give the user turn only.

A tokenizer without a chat template gets DEFAULT_CHAT_TEMPLATE, a plain "### User / ### Assistant" layout whose
assistant turn ends with the tokenizer's eos token, so a model trained with it learns to stop.
"""

from __future__ import annotations

from typing import Any

from schemas.records import ChatRecord, InstructionRecord, Message, PreferenceRecord, PromptRecord, Record

__all__ = [
    "DEFAULT_CHAT_TEMPLATE",
    "chat_template_of",
    "prompt_messages",
    "record_to_messages",
    "render_conversation",
    "render_prompt",
    "user_content",
]

DEFAULT_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] + '\n\n' }}"
    "{% elif message['role'] == 'user' %}{{ '### User:\n' + message['content'] + '\n\n' }}"
    "{% elif message['role'] == 'assistant' %}{{ '### Assistant:\n' + message['content'] + eos_token + '\n\n' }}"
    "{% else %}{{ '### ' + message['role'] + ':\n' + message['content'] + '\n\n' }}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '### Assistant:\n' }}{% endif %}"
)


def user_content(record: InstructionRecord) -> str:
    return f"{record.instruction}\n\n{record.input}" if record.input.strip() else record.instruction


def _messages(items: list[Message]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in items]


def record_to_messages(record: Record) -> list[dict[str, str]]:
    """Prompt and answer as chat messages; the last message is the assistant answer to train on (none for prompts)."""
    if isinstance(record, InstructionRecord):
        return [{"role": "user", "content": user_content(record)}, {"role": "assistant", "content": record.output}]
    if isinstance(record, ChatRecord):
        return _messages(record.messages)
    if isinstance(record, PreferenceRecord):
        return [*preference_prompt(record), {"role": "assistant", "content": record.chosen}]
    if isinstance(record, PromptRecord):
        return [{"role": "user", "content": record.prompt}]
    raise TypeError(f"{type(record).__name__} has no chat form")


def preference_prompt(record: PreferenceRecord) -> list[dict[str, str]]:
    if isinstance(record.prompt, str):
        return [{"role": "user", "content": record.prompt}]
    return _messages(record.prompt)


def prompt_messages(record: Record) -> list[dict[str, str]]:
    """The messages a model answers at inference time: everything before the final assistant turn."""
    messages = record_to_messages(record)
    if messages and messages[-1]["role"] == "assistant":
        return messages[:-1]
    return messages


def chat_template_of(tokenizer: Any) -> str:
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):  # named templates: "default" is the one generation uses
        template = template.get("default") or next(iter(template.values()), None)
    return template or DEFAULT_CHAT_TEMPLATE


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The text a model continues: the chat template with the generation prompt (assistant header) added."""
    return str(tokenizer.apply_chat_template(messages, chat_template=chat_template_of(tokenizer), tokenize=False, add_generation_prompt=True))


def render_conversation(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The whole conversation as trained on, each assistant turn closed by the template's turn end."""
    return str(tokenizer.apply_chat_template(messages, chat_template=chat_template_of(tokenizer), tokenize=False, add_generation_prompt=False))
