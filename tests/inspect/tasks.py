"""Inspect tasks whose logs the tests and the benchmark read.

Every task binds Inspect's built-in ``mockllm/model`` with a callable
``custom_outputs`` that answers from the input, so runs are deterministic,
need no network, and (because each output carries ``usage``) never ask a
tokenizer to count tokens, which would download one.
"""

import asyncio
import os
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import (
    ChatMessageSystem,
    ChatMessageUser,
    ContentImage,
    ContentReasoning,
    ContentText,
    ModelOutput,
    ModelUsage,
    get_model,
)
from inspect_ai.scorer import (
    CORRECT,
    INCORRECT,
    Score,
    Target,
    accuracy,
    includes,
    match,
    mean,
    scorer,
    stderr,
)
from inspect_ai.solver import Generate, TaskState, generate, solver, use_tools
from inspect_ai.tool import ToolError, tool

# A 1x1 PNG, so a user message carries image content.
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8Dw"
    "HwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def usage(i: int, o: int) -> ModelUsage:
    return ModelUsage(input_tokens=i, output_tokens=o, total_tokens=i + o)


def last_user_text(messages) -> str:
    for m in reversed(messages):
        if m.role == "user":
            return m.text
    return ""


def answer_model(wrong: set[str], reasoning: bool):
    """Answers "What is A+B?" with the sum, or the sum plus one for questions
    listed in ``wrong``; with ``reasoning`` the answer carries a reasoning
    block first."""

    def respond(messages, tools, tool_choice, config):
        q = last_user_text(messages).split("\n")[0]
        a, b = q.removeprefix("What is ").removesuffix("?").split("+")
        n = int(a) + int(b) + (1 if q in wrong else 0)
        text = f"The answer is {n}.\n\nANSWER: {n}"
        content = [ContentText(text=text)]
        if reasoning:
            content.insert(0, ContentReasoning(reasoning=f"Adding {a} and {b}."))
        out = ModelOutput.from_content(model="mockllm/model", content=content)
        out.usage = usage(20 + len(q), 12)
        return out

    return get_model("mockllm/model", custom_outputs=respond)


@scorer(metrics=[mean(), stderr()])
def length_penalty():
    """A numeric scorer with an explanation: 1.0 for short answers."""

    async def score(state: TaskState, target: Target) -> Score:
        n = len(state.output.completion)
        return Score(
            value=1.0 if n < 40 else 0.5,
            answer=str(n),
            explanation=f"{n} characters of output",
        )

    return score


@solver
def fail_on(ids: list[str]):
    """Raises for the listed sample ids, so a sample ends with an error."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if str(state.sample_id) in ids:
            raise RuntimeError(f"deliberate failure in sample {state.sample_id}")
        return state

    return solve


def filler(i: int, size: int) -> str:
    """`size` characters of text that does not compress much (as real inputs
    such as documents or code do not), the same for the same `i`."""
    import base64
    import random

    rnd = random.Random(i)
    return base64.b64encode(rnd.randbytes(size * 3 // 4)).decode()


def arith_samples(n: int, pad: int = 0) -> list[Sample]:
    out = []
    for i in range(1, n + 1):
        q = f"What is {i}+{i * 2}?"
        content = [ContentText(text=q + ("\n\n" + filler(i, pad) if pad else ""))]
        if i == 1:
            content.append(ContentImage(image=PIXEL))
        out.append(
            Sample(
                id=f"q{i}",
                input=[
                    ChatMessageSystem(content="You add numbers."),
                    ChatMessageUser(content=content),
                ],
                target=str(i + i * 2),
                metadata={"group": "odd" if i % 2 else "even"},
            )
        )
    return out


@task
def arith(variant: str = "a", samples: int = 5, epochs: int = 2, fail: str = "q4"):
    """Several scorers, several epochs, one sample failing (the log itself
    succeeds). Variant "b" answers q2 and q3 wrongly, for comparisons."""
    wrong = {"What is 2+4?", "What is 3+6?"} if variant == "b" else {"What is 5+10?"}
    return Task(
        name="arith",
        dataset=arith_samples(samples),
        solver=[fail_on([f for f in fail.split(",") if f]), generate()],
        scorer=[match(), includes(), length_penalty()],
        epochs=epochs,
        model=answer_model(wrong, reasoning=variant == "a"),
        fail_on_error=False,
    )


@task
def big(samples: int = 1000, pad: int = 17500):
    """Many samples with longer inputs: the benchmark's log."""
    return Task(
        name="big",
        dataset=arith_samples(samples, pad=pad),
        solver=[generate()],
        scorer=[match(), includes(), length_penalty()],
        model=answer_model(set(), reasoning=True),
    )


@tool
def add():
    async def execute(a: int, b: int):
        """Adds two numbers.

        Args:
          a: The first number.
          b: The second number.
        """
        if a < 0 or b < 0:
            raise ToolError("negative numbers are not supported")
        return a + b

    return execute


def tool_model():
    """Calls `add` with a negative number (a tool error), then properly,
    then answers with the tool's result."""

    def respond(messages, tools, tool_choice, config):
        tool_results = [m for m in messages if m.role == "tool"]
        if not tool_results:
            out = ModelOutput.for_tool_call(
                "mockllm/model", "add", {"a": -1, "b": 2}, tool_call_id="call_1"
            )
        elif len(tool_results) == 1:
            out = ModelOutput.for_tool_call(
                "mockllm/model",
                "add",
                {"a": 40, "b": 2},
                tool_call_id="call_2",
                content="Negative numbers fail; trying positive ones.",
            )
        else:
            out = ModelOutput.from_content(
                model="mockllm/model", content=f"ANSWER: {tool_results[-1].text}"
            )
        out.usage = usage(50 + 10 * len(messages), 8)
        return out

    return get_model("mockllm/model", custom_outputs=respond)


@task
def tools():
    """A tool-using agent loop: a tool error, a tool call, an answer."""
    return Task(
        name="tools",
        dataset=[Sample(id="t1", input="Add 40 and 2 with the tool.", target="42")],
        solver=[use_tools(add()), generate()],
        scorer=[match()],
        model=tool_model(),
    )


@task
def failing():
    """A sample raises and errors are fatal: the log ends with status error."""
    return Task(
        name="failing",
        dataset=arith_samples(3),
        solver=[fail_on(["q2"]), generate()],
        scorer=[match()],
        model=answer_model(set(), reasoning=False),
    )


def gated_model(gates: str):
    """Answers "What is A+B?" only once the file GATES/ID exists (ID is the
    sample's id, found in the question), so a test decides when each sample
    completes while the log is being written."""

    async def respond(messages, tools, tool_choice, config):
        q = last_user_text(messages)
        a, b = q.removeprefix("What is ").removesuffix("?").split("+")
        gate = Path(gates) / f"q{a}"
        while not gate.exists():
            await asyncio.sleep(0.05)
        out = ModelOutput.from_content(
            model="mockllm/model", content=f"ANSWER: {int(a) + int(b)}"
        )
        out.usage = usage(30, 5)
        return out

    return get_model("mockllm/model", custom_outputs=respond)


@task
def gated(gates: str = "", samples: int = 4):
    """Samples that finish when the test opens their gate (see gated_model)."""
    return Task(
        name="gated",
        dataset=arith_samples(samples),
        solver=[generate()],
        scorer=[match()],
        model=gated_model(gates or os.environ.get("GATES", "gates")),
    )
