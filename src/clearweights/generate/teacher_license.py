"""May the teacher's outputs train the student? Decided by clearweights' own audit, before any
request is sent to the teacher."""

from __future__ import annotations

from dataclasses import dataclass

from clearweights.components import MofComponent
from clearweights.errors import InputError, TeacherLicenceRefused
from clearweights.licenses.model import Licence, Naming

UNKNOWN = "unknown"


@dataclass(frozen=True)
class TeacherLicence:
    """The verdict on the teacher's licence.

    Attributes:
        license: the licence id(s) of the teacher's weights, ``unknown`` when none was found.
        names: the licences' names, for people.
        allowed: outputs may train the student (``None``: not known).
        reasons: why, one line per licence, quoting the clause when there is one.
        duties: naming and attribution duties the student inherits.
        student_family: the student family the check was made for.
    """

    license: str
    names: tuple[str, ...] = ()
    allowed: bool | None = None
    reasons: tuple[str, ...] = ()
    duties: tuple[str, ...] = ()
    student_family: str | None = None


def _naming_duties(lic: Licence) -> list[str]:
    naming = lic.terms.derivative_naming.value
    if not isinstance(naming, Naming):
        return []
    when = f" ({naming.condition})" if naming.condition else ""
    duties = [f"{lic.name}: display {text!r}{when}" for text in naming.attribution]
    if naming.name_prefix:
        duties.append(f"{lic.name}: the student's name must begin with {naming.name_prefix!r}")
    return duties


# The model line each licence excepts from its ban on improving other models, in the
# licence's own words ("... (excluding Meta Llama 3 or derivative works thereof)"), and the
# student names that mean it. A family name alone ("llama") is not enough: Llama 2's
# exception does not cover a Llama 3 student, nor Llama 3's a Llama 2 one.
_EXCEPTED_LINES: dict[str, tuple[str, frozenset[str]]] = {
    "LicenseRef-scancode-llama-2-license-2023": ("Llama 2", frozenset({"llama2"})),
    "LicenseRef-clearweights-llama-3": ("Meta Llama 3", frozenset({"llama3"})),
    "LicenseRef-clearweights-databricks-open-model": ("DBRX", frozenset({"dbrx"})),
    "LicenseRef-clearweights-tongyi-qianwen-research": (
        "Tongyi Qianwen", frozenset({"tongyiqianwen", "qwen"})),
    "LicenseRef-scancode-tongyi-qianwen-2023": (
        "Tongyi Qianwen", frozenset({"tongyiqianwen", "qwen"})),
    "LicenseRef-clearweights-tencent-hunyuan-community": (
        "Tencent Hunyuan", frozenset({"tencenthunyuan", "hunyuan"})),
    "LicenseRef-clearweights-tencent-hunyuan-community-2024-05": (
        "Tencent Hunyuan", frozenset({"tencenthunyuan", "hunyuan"})),
    "LicenseRef-scancode-tencent-hunyuan-3d-2.0-cla": (
        "Tencent Hunyuan 3D 2.0", frozenset({"tencenthunyuan3d2.0", "hunyuan3d2.0"})),
}  # fmt: skip


def _family_exception(lic: Licence, quote: str) -> bool:
    """Whether the restriction only forbids improving *other* models (the licence's own
    model line is then excepted, as Llama 2 and 3, Tongyi Qianwen, DBRX and Hunyuan say)."""
    lowered = quote.lower()
    return lic.family is not None and "improve any other" in lowered


def excepted_line(lic: Licence) -> tuple[str, frozenset[str]]:
    """The model line *lic* excepts and the student names that mean it; a licence not in
    the table excepts only students named exactly as its family."""
    family = lic.family or ""
    return _EXCEPTED_LINES.get(lic.id, (family, frozenset({_student_key(family)})))


def _student_key(name: str) -> str:
    """'Meta Llama 3', 'llama-3', 'Llama_3' -> 'llama3' (dots kept: 3.1 is not 3)."""
    key = "".join(c for c in name.lower() if c.isalnum() or c == ".")
    return key.removeprefix("meta") if key != "meta" else key


def _use_duties(lic: Licence) -> list[str]:
    """Restrictions on using the teacher at all, which its outputs and the student carry."""
    terms, out = lic.terms, []
    if terms.non_commercial.value:
        out.append(f"{lic.name} is non-commercial: data generated with this teacher, and a "
                   "model trained on it, may not be used commercially")  # fmt: skip
    if terms.research_only.value:
        out.append(f"{lic.name} is research-only: the data and the student are for research")
    return out


def _judge(lic: Licence, student: str | None) -> tuple[bool | None, str, list[str]]:
    """One licence: allowed or not (``None``: unknown), why, and the duties it brings."""
    term = lic.terms.output_use_restriction
    cite = term.cite
    quote = cite.quote if cite else ""
    where = f"{cite.clause}: " if cite else ""
    duties = _naming_duties(lic) + _use_duties(lic)
    if not term.known or term.value is None:
        why = term.reason or "the licence text leaves it open"
        return None, f"{lic.id}: whether outputs may train other models is unknown ({why})", []
    if term.value.distillation_is_derivative:
        duties.append(
            f"{lic.name}: a model trained on these outputs is a derivative of the teacher under "
            f'this licence and carries its terms ({where}"{quote}")'
        )
    if not term.value.restricted:
        said = f' ({where}"{quote}")' if quote else ""
        return True, f"{lic.id}: outputs may train other models{said}", duties
    clause = f'{where}"{quote}"'
    if _family_exception(lic, quote):
        line, names = excepted_line(lic)
        if student and _student_key(student) in names:
            duties.append(
                f"{lic.name}: the student must stay a {line} model or a derivative of one (the "
                f"licence excepts only those from {clause}; another model line, even of the "
                "same maker, is not excepted)"
            )
            return True, f"{lic.id}: restricted, but the student is a {line} model", duties
        return False, f"{lic.id} forbids it: {clause} (only a {line} student is excepted)", []
    return False, f"{lic.id} forbids it: {clause} (no student family is excepted)", []


def assess(licences: tuple[Licence, ...], student_family: str | None) -> TeacherLicence:
    """Combine the verdicts of every licence of the teacher's weights (all of them apply)."""
    if not licences:
        return TeacherLicence(
            UNKNOWN,
            reasons=("no licence could be identified for the teacher's weights",),
            student_family=student_family,
        )
    verdicts = [_judge(lic, student_family) for lic in licences]
    if any(v is False for v, _, _ in verdicts):
        allowed: bool | None = False
    elif any(v is None for v, _, _ in verdicts):
        allowed = None
    else:
        allowed = True
    return TeacherLicence(
        license=" AND ".join(lic.id for lic in licences),
        names=tuple(lic.name for lic in licences),
        allowed=allowed,
        reasons=tuple(why for _, why, _ in verdicts),
        duties=tuple(dict.fromkeys(d for _, _, ds in verdicts for d in ds)),
        student_family=student_family,
    )


def check_teacher_license(location: str | None, student_family: str | None) -> TeacherLicence:
    """Audit the teacher's release (a directory, a Hub repo id in the cache, a card) and decide.

    No location gives an ``unknown`` licence, which the caller must warn about.

    Raises:
        InputError: the release cannot be read.
        TeacherLicenceRefused: the licence forbids training this student on the outputs.
    """
    if location is None:
        return TeacherLicence(
            UNKNOWN,
            reasons=("no --teacher-release given: the teacher's licence was not checked",),
            student_family=student_family,
        )
    from clearweights.audit import audit_release

    result = audit_release(location, profiles=())
    if result.error is not None or result.release is None:
        raise InputError(
            f"cannot read the teacher release: {result.error}",
            path=location,
            hint="--teacher-release takes a model directory, a card, or a Hub repo id in the cache",
        )
    weights = next(
        (c for c in result.components if c.kind is MofComponent.MODEL_PARAMETERS_FINAL), None
    )
    verdict = assess(weights.licences if weights else (), student_family)
    if verdict.allowed is False:
        family = f" for a {student_family} student" if student_family else ""
        raise TeacherLicenceRefused(
            "the teacher's licence does not allow training another model on its outputs"
            f"{family}: " + "; ".join(r for r in verdict.reasons if "forbids" in r),
            path=location,
            hint="choose a teacher whose licence allows it, or name an excepted student "
            "family with --student-family",
        )
    return verdict
