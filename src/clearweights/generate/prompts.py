"""The teacher prompts of the built-in pipelines, and how templates are filled.

A template names record fields as ``{field}``; nothing else in it is special, so prompts may
hold JSON or code with braces. Answers are asked for in tagged form (``[Question]``,
``[Answer]``, ``[Judgment]``, ``[Score]``) so that the parse and judge blocks can read them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful, accurate assistant. Answer from what you know and say when you are "
    "not sure."
)

KNOWLEDGE_QA = """\
You are writing questions and answers to teach a model the content of a document.
Domain: {domain}
Here is an example drawn from another part of the document:
[Document]
{icl_context}
[Question] {icl_question}
[Answer] {icl_answer}

Now read this part of the document and write one new question a reader could ask about it,
with an answer that uses only facts stated in it.
[Document]
{document}

Reply exactly as:
[Question] <the question>
[Answer] <the answer>
"""

JUDGE_FAITHFULNESS = """\
Is the answer fully supported by the document, with nothing added that the document does not
state?
[Document]
{document}
[Question] {question}
[Answer] {answer}

Reply with [Judgment] YES or [Judgment] NO, then one sentence why.
"""

JUDGE_RELEVANCE = """\
Rate how well the question is answered by the answer and how relevant both are to the document:
0 = off topic, 1 = partly relevant, 2 = relevant and answered.
[Document]
{document}
[Question] {question}
[Answer] {answer}

Reply with [Score] 0, [Score] 1 or [Score] 2, then one sentence why.
"""

FREEFORM_QUESTIONS = """\
You are writing tasks to teach a model a skill: {task_description}
Example task:
[Question] {seed_question}

Write one new task for the same skill, different from the example.
Reply exactly as:
[Question] <the task>
"""

GROUNDED_QUESTIONS = """\
You are writing tasks to teach a model a skill: {task_description}
Every task is about this context:
[Context]
{seed_context}
Example task:
[Question] {seed_question}

Write one new task about the same context, different from the example.
Reply exactly as:
[Question] <the task>
"""

FREEFORM_ANSWER = """\
You are demonstrating a skill: {task_description}
Example:
[Question] {seed_question}
[Answer] {seed_answer}

Now do this task well.
[Question] {question}
Reply exactly as:
[Answer] <your answer>
"""

GROUNDED_ANSWER = """\
You are demonstrating a skill: {task_description}
[Context]
{seed_context}
Example:
[Question] {seed_question}
[Answer] {seed_answer}

Now do this task using the context.
[Question] {question}
Reply exactly as:
[Answer] <your answer>
"""

JUDGE_PAIR = """\
Rate the answer to the task, for the skill: {task_description}
[Question] {question}
[Answer] {answer}

Reply with [Score] 1 (poor), [Score] 2 (acceptable) or [Score] 3 (excellent), then one sentence
why.
"""

JUDGE_GROUNDED_PAIR = """\
Rate the answer to the task, given the context, for the skill: {task_description}
[Context]
{seed_context}
[Question] {question}
[Answer] {answer}

Reply with [Score] 1 (poor or not based on the context), [Score] 2 (acceptable) or [Score] 3
(excellent), then one sentence why.
"""

QA_PATTERN = (
    r"\[Question\]\s*(?P<question>.+?)\s*\[Answer\]\s*(?P<answer>.+?)\s*(?=\[Question\]|\Z)"
)
QUESTION_PATTERN = r"\[Question\]\s*(?P<question>.+?)\s*(?=\[Question\]|\[Answer\]|\Z)"
ANSWER_PATTERN = r"\[Answer\]\s*(?P<answer>.+?)\s*\Z"
JUDGMENT_PATTERN = r"\[Judgment\]\s*(?P<verdict>YES|NO)\b"
SCORE_PATTERN = r"\[Score\]\s*(?P<verdict>\d)\b"


def fields(template: str) -> tuple[str, ...]:
    """The record fields a template reads, in order of first use."""
    return tuple(dict.fromkeys(FIELD.findall(template)))


def render(template: str, record: Mapping[str, Any]) -> str:
    """Fill *template* from *record*; a missing field is a bug in the pipeline (KeyError)."""
    return FIELD.sub(lambda m: str(record[m.group(1)]), template)
