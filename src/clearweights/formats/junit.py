"""JUnit XML: a test suite per release, a test case per policy rule."""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from clearweights.errors import UsageError
from clearweights.licenses import names_for_people as _n
from clearweights.policy.model import CheckReport

if TYPE_CHECKING:
    from clearweights.formats.interface import Report


def junit_xml(report: CheckReport) -> str:
    """The JUnit XML of a policy check."""
    suites = ET.Element("testsuites", name=f"clearweights {report.policy}")
    for c in report.checks:
        suite = ET.SubElement(suites, "testsuite", name=c.name or c.path)
        cases = 0
        failures = errors = skipped = 0
        if c.error:
            case = ET.SubElement(suite, "testcase", classname=c.name or c.path, name="audit")
            ET.SubElement(case, "error", message=c.error)
            cases, errors = 1, 1
        else:
            for rule_id, description in report.rules:
                cases += 1
                case = ET.SubElement(suite, "testcase", classname=c.name or c.path, name=rule_id)
                broken = [
                    v for v in c.violations if v.rule == rule_id or v.rule.startswith(rule_id + ".")
                ]
                active = [v for v in broken if v.level == "error" and not v.waived]
                if active:
                    failures += 1
                    failure = ET.SubElement(
                        case, "failure", message=_n(active[0].message), type=rule_id
                    )
                    failure.text = "\n".join(
                        _n(f"{v.message} (got {v.found}, expected {v.expected})") for v in active
                    )
                elif broken:
                    skipped += 1
                    reason = broken[0].waived or f"warning: {_n(broken[0].message)}"
                    ET.SubElement(case, "skipped", message=reason)
                else:
                    ET.SubElement(case, "system-out").text = _n(description)
        suite.set("tests", str(cases))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", str(skipped))
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


class JunitFormat:
    """``--format junit``."""

    def render(self, report: Report) -> str:
        """Return JUnit XML (policy checks only)."""
        if not isinstance(report, CheckReport):
            raise UsageError("--format junit is only for clearweights check")
        return junit_xml(report)
