"""evalkit: generate answers from models, score them with a rubric, compare models with statistics."""
