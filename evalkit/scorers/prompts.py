"""Judge prompts in Prometheus 2's format (absolute 1-5 grading and relative A/B grading).

Prometheus (Kim et al., 2024) trains judges on exactly this layout; other instruction-tuned models follow it too.
"""

from __future__ import annotations

ABSOLUTE_PROMPT = """###Task Description:
An instruction (might include an Input inside it), a response to evaluate, a reference answer that gets a score of 5 (when given), and a score rubric representing an evaluation criteria are given.
1. Write a detailed feedback that assesses the quality of the response strictly based on the given score rubric, not evaluating in general.
2. After writing a feedback, write a score that is an integer between 1 and 5. You should refer to the score rubric.
3. The output format should look as follows: "Feedback: (write a feedback for criteria) [RESULT] (an integer number between 1 and 5)"
4. Please do not generate any other opening, closing, and explanations.

###The instruction to evaluate:
{instruction}

###Response to evaluate:
{response}
{reference_block}
###Score Rubrics:
{rubric}

###Feedback: """

RELATIVE_PROMPT = """###Task Description:
An instruction (might include an Input inside it), two responses to evaluate (denoted as Response A and Response B), and an evaluation criteria are given.
1. Write a detailed feedback that assesses the quality of the two responses strictly based on the given evaluation criteria, not evaluating in general.
2. Make comparisons between Response A and Response B. Instead of examining them separately, directly point out their commonalities and differences.
3. After writing the feedback, indicate the better response, either "A" or "B".
4. The output format should look as follows: "Feedback: (write a feedback for criteria) [RESULT] (Either "A" or "B")"
5. Please do not generate any other opening, closing, and explanations.

###Instruction:
{instruction}

###Response A:
{response_a}

###Response B:
{response_b}

###Score Rubric:
{criteria}

###Feedback: """


def format_rubric(criteria: str, descriptions: dict[int, str]) -> str:
    lines = [f"[{criteria}]"] + [f"Score {k}: {descriptions[k]}" for k in sorted(descriptions)]
    return "\n".join(lines)
