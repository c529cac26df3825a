"""Write the Model Openness Tool's licence tables (MOT-compat mode) into the package.

Source: the SPDX licence list the tool pins (``licenses.json``, list 2024-05-21, copied from
``lfai/model_openness_tool`` at 8b5d30e into tools/sources/mot/) and the tool's open-data and
type-appropriateness lists as published in its ``LicenseHandler.php`` and ``mof-licenses.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tools" / "sources" / "mot" / "spdx-licenses-2024-05-21.json"
TARGET = ROOT / "src" / "clearweights" / "data" / "frameworks" / "mot.json"

OPEN_DATA = [
    "CC0-1.0", "CC-BY-1.0", "CC-BY-2.0", "CC-BY-2.5", "CC-BY-2.5-AU", "CC-BY-3.0", "CC-BY-3.0-AT",
    "CC-BY-3.0-AU", "CC-BY-3.0-DE", "CC-BY-3.0-IGO", "CC-BY-3.0-NL", "CC-BY-3.0-US", "CC-BY-4.0",
    "CC-BY-SA-1.0", "CC-BY-SA-2.0", "CC-BY-SA-2.0-UK", "CC-BY-SA-2.1-JP", "CC-BY-SA-2.5",
    "CC-BY-SA-3.0", "CC-BY-SA-3.0-AT", "CC-BY-SA-4.0", "CDLA-Permissive-1.0", "CDLA-Permissive-2.0",
    "CDLA-Sharing-1.0", "ODC-PDDL-1.0", "ODC-By-1.0", "ODbL-1.0", "GFDL-1.3", "OGL-Canada-2.0",
    "OGL-UK-2.0", "OGL-UK-3.0",
]  # fmt: skip
# Content types per licence after the tool's import (a later duplicate replaces an earlier one,
# so CC0-1.0 and CC-PDDC keep only "document": quirk Q1).
TYPES = {
    "code": [
        "0BSD", "AFL-1.1", "AFL-1.2", "AFL-2.0", "AFL-2.1", "AFL-3.0", "Apache-1.0", "Apache-1.1",
        "Apache-2.0", "ECL-1.0", "ECL-2.0", "ISC", "MIT", "MIT-0", "MulanPSL-1.0", "MulanPSL-2.0",
        "NCSA", "UPL-1.0", "OpenMDW-1.0",
    ],
    "data": ["CDLA-Permissive-1.0", "CDLA-Permissive-2.0", "C-UDA-1.0", "PDDL-1.0", "OpenMDW-1.0"],
    "document": [
        "Apache-2.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0", "FreeBSD-DOC", "CC0-1.0",
        "CC-PDDC", "OpenMDW-1.0",
    ],
}  # fmt: skip


def main() -> int:
    spdx = json.loads(SOURCE.read_text(encoding="utf-8"))
    free = sorted(
        lic["licenseId"]
        for lic in spdx["licenses"]
        if lic.get("isOsiApproved") or lic.get("isFsfLibre")
    )
    data = {
        "source": "lfai/model_openness_tool@8b5d30e: web/modules/mof/licenses.json, "
        "LicenseHandler.php, mof-licenses.json",
        "spdx_list_version": spdx["licenseListVersion"],
        "spdx_free": free,
        "open_data": OPEN_DATA,
        "extra_open": ["OpenMDW-1.0"],
        "types": TYPES,
    }
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(set(free) | set(OPEN_DATA)) + 1} open ids")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
