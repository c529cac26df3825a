"""The teacher client's wire protocol and error paths, against real server processes: the
fixture teacher (broken answers on demand) and ``transformers serve`` over a tiny random model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from clearweights.errors import GenerateError, TeacherError
from clearweights.generate import GenerateOptions, LeafKind, Sampling, Teacher, generate
from clearweights.generate.teacher import MAX_ANSWER_BYTES, Completion, TeacherClient
from tests.generate_servers.fixtures import (
    FixtureTeacher,
    fixture_teacher,
    served_teacher,
    tiny_teacher,
)
from tests.generate_servers.scenario import HAIKU, PHOENIX, small_knowledge

__all__ = ["fixture_teacher", "served_teacher", "tiny_teacher"]  # the fixtures, imported for pytest

HELLO = [{"role": "user", "content": "the question is what the answer is"}]


def _chat(url: str, model: str, *, stream: bool = False, timeout: float = 10.0) -> Completion:
    async def run() -> Completion:
        async with TeacherClient(
            url, model, stream=stream, timeout=timeout, retries=1, backoff=0.01
        ) as client:
            return await client.chat(HELLO, Sampling(max_tokens=6), seed=1, request="test req 1")

    return asyncio.run(run())


def _probe(url: str, model: str = "t") -> str:
    async def run() -> str:
        async with TeacherClient(url, model, retries=1, backoff=0.01, timeout=5) as client:
            return await client.probe()

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            {"match": "", "raw": "<!DOCTYPE html><html>Login</html>", "content_type": "text/html"},
            "the teacher returned an HTML page (text/html) instead of JSON",
        ),
        ({"match": "", "raw": '{"choices": [{"message": {"content": "ha'}, "truncated JSON"),
        ({"match": "", "raw": '{"result": 1}'}, "a JSON object without 'choices' (keys: result)"),
        ({"match": "", "raw": ""}, "an empty body"),
        ({"match": "", "status": 503, "reply": "loading"}, "HTTP 503: loading (2 attempts)"),
    ],
)  # fmt: skip
def test_broken_answers_are_named(
    fixture_teacher: FixtureTeacher, rule: dict[str, object], expected: str
) -> None:
    fixture_teacher.rules([rule])
    with pytest.raises(TeacherError) as caught:
        _chat(fixture_teacher.url, "t")
    assert "test req 1: " in caught.value.message
    assert expected in caught.value.message


def test_a_truncated_stream_is_named(fixture_teacher: FixtureTeacher) -> None:
    fixture_teacher.rules([{"match": "", "reply": "half an answer", "truncate_stream": True}])
    with pytest.raises(TeacherError, match=r"ended before 'data: \[DONE\]' \(truncated\)"):
        _chat(fixture_teacher.url, "t", stream=True)


def test_a_silent_teacher_times_out(fixture_teacher: FixtureTeacher) -> None:
    fixture_teacher.rules([{"match": "", "reply": "late", "delay": 3}])
    with pytest.raises(TeacherError, match=r"no answer within 0.5 s \(2 attempts\)"):
        _chat(fixture_teacher.url, "t", timeout=0.5)


def test_the_probe_refuses_an_html_api_base(fixture_teacher: FixtureTeacher) -> None:
    fixture_teacher.rules([], models_raw="<html><body>Welcome to the dashboard</body></html>")
    with pytest.raises(TeacherError) as caught:
        _probe(fixture_teacher.url)
    assert "GET /models returned an HTML page" in caught.value.message
    assert caught.value.hint and "/v1" in caught.value.hint


def test_the_probe_reads_a_model_list_only_up_to_a_bound(fixture_teacher: FixtureTeacher) -> None:
    fixture_teacher.rules([], models_raw="x" * (MAX_ANSWER_BYTES + 1))
    with pytest.raises(TeacherError, match=r"GET /models sent an answer over 4194304 bytes"):
        _probe(fixture_teacher.url)


def test_the_probe_names_an_unreachable_teacher() -> None:
    with pytest.raises(TeacherError, match=r"cannot reach the teacher at http://127\.0\.0\.1:9/v1"):
        _probe("http://127.0.0.1:9/v1")


def test_a_refusal_is_not_retried(fixture_teacher: FixtureTeacher) -> None:
    fixture_teacher.rules([{"match": "", "status": 401, "reply": "bad key"}])
    with pytest.raises(TeacherError) as caught:
        _chat(fixture_teacher.url, "t")
    assert caught.value.message == "test req 1: the teacher refused: HTTP 401: bad key"
    assert fixture_teacher.stats()["0"] == 1


def test_streamed_and_whole_answers_agree(fixture_teacher: FixtureTeacher) -> None:
    fixture_teacher.rules([{"match": "", "reply": "one two  three\nfour"}])
    whole = _chat(fixture_teacher.url, "t")
    streamed = _chat(fixture_teacher.url, "t", stream=True)
    assert whole.text == streamed.text == "one two  three\nfour"


# --- a real model behind `transformers serve` -------------------------------------------


def test_real_server_speaks_the_protocol(tiny_teacher: tuple[str, str]) -> None:
    url, model = tiny_teacher
    assert _probe(url, model) == model
    whole = _chat(url, model)
    streamed = _chat(url, model, stream=True)
    assert whole.model == streamed.model == model
    assert whole.text.strip() and streamed.text.strip()  # random weights: some vocabulary words
    assert whole.finish_reason in ("length", "stop")


def test_real_server_refusal_is_named(tiny_teacher: tuple[str, str]) -> None:
    url, _ = tiny_teacher
    with pytest.raises(TeacherError) as caught:
        _chat(url, "someone/else")
    assert caught.value.message == (
        "test req 1: the teacher refused: HTTP 404: The model 'someone/else' does not exist"
    )
    assert caught.value.hint and "--teacher-model" in caught.value.hint


def test_greedy_answers_agree_streamed_or_whole(tiny_teacher: tuple[str, str]) -> None:
    url, model = tiny_teacher

    async def run(stream: bool) -> str:
        async with TeacherClient(url, model, stream=stream, retries=0) as client:
            greedy = Sampling(temperature=0.0, max_tokens=6)
            return (await client.chat(HELLO, greedy, seed=3, request="greedy")).text

    assert asyncio.run(run(False)) == asyncio.run(run(True))


@pytest.mark.slow
def test_transformers_serve_speaks_the_protocol(served_teacher: tuple[str, str]) -> None:
    """The upstream server itself (a minute to start on two busy cores: marked slow)."""
    url, model = served_teacher
    assert _probe(url, model) == model
    assert _chat(url, model).text.strip()
    assert _chat(url, model, stream=True).text.strip()
    with pytest.raises(TeacherError, match=r"HTTP 400: .*someone/else"):
        _chat(url, "someone/else")


def test_real_model_output_is_filtered_loudly(
    tiny_teacher: tuple[str, str], tmp_path: Path
) -> None:
    """A random model never writes '[Question] ... [Answer]': the parse block drops it all,
    and the run fails naming that block instead of writing an empty dataset."""
    url, model = tiny_teacher
    options = GenerateOptions(
        tmp_path / "out",
        scale=1,
        sampling=Sampling(max_tokens=8),
        pipelines={LeafKind.KNOWLEDGE: small_knowledge(1)},
        stream=True,
    )
    with pytest.raises(GenerateError, match=r"block parse_qa \(parse\) dropped all \d+ records"):
        generate([PHOENIX], Teacher(url, model), options)
    assert HAIKU.kind is LeafKind.FREEFORM
