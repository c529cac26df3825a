"""BOMs and signatures on every example release: build, validate, sign, verify, tamper."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from clearweights.bom import build_bom, validate_document
from clearweights.bom.hashing import hash_files, sha256_file
from clearweights.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples" / "releases").iterdir() if p.is_dir())


def _keys(folder: Path, curve: ec.EllipticCurve) -> tuple[Path, Path]:
    key = ec.generate_private_key(curve)
    private = folder / f"{curve.name}.pem"
    public = folder / f"{curve.name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _keys(tmp_path_factory.mktemp("keys"), ec.SECP256R1())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_round_trip(
    example: Path, tmp_path: Path, keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    release = tmp_path / example.name
    shutil.copytree(example, release)
    private, public = keys
    for fmt, name in (("cyclonedx", "aibom.cdx.json"), ("spdx3", "aibom.spdx3.json")):
        assert main(["bom", str(release), "--format", fmt, "-o", str(release / name)]) == 0
        assert main(["bom", "validate", str(release / name)]) == 0
    assert main(["sign", str(release), "--key", str(private)]) == 0
    assert main(["verify", str(release), "--key", str(public)]) == 0
    capsys.readouterr()
    victim = sorted(p for p in release.rglob("*") if p.is_file() and p.name != "model.sig")[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    assert main(["verify", str(release), "--key", str(public), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["changed"] == [victim.relative_to(release).as_posix()]
    (release / "aibom.cdx.json").unlink()
    assert main(["verify", str(release), "--key", str(public), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["removed"] == ["aibom.cdx.json"]


def test_cyclonedx_content() -> None:
    doc = json.loads(build_bom(str(ROOT / "examples/releases/open-olmo-style"), "cyclonedx"))
    model = doc["metadata"]["component"]
    assert doc["specVersion"] == "1.6"
    # The library renames the bom-ref of a component listed twice; ours stays stable.
    assert model["bom-ref"] == "model:open-olmo-style"
    assert "model:open-olmo-style" in {d["ref"] for d in doc["dependencies"]}
    assert all(c["bom-ref"] != "model:open-olmo-style" for c in doc["components"])
    assert model["type"] == "machine-learning-model"
    assert model["modelCard"]["modelParameters"]["modelArchitecture"] == "OlmoForCausalLM"
    assert model["modelCard"]["modelParameters"]["datasets"] == [
        {"ref": "dataset:example-org/open-pretraining-corpus"}
    ]
    assert model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"][0]["value"] == "0.31"
    assert {"acknowledgement": "declared", "id": "Apache-2.0"} in [
        lic["license"] for lic in model["licenses"]
    ]
    files = {c["name"]: c for c in doc["components"] if c["type"] == "file"}
    weights = files["model.safetensors"]
    assert weights["hashes"][0]["content"] == sha256_file(
        ROOT / "examples/releases/open-olmo-style/model.safetensors"
    )
    data = [c for c in doc["components"] if c["type"] == "data"]
    assert data[0]["data"] == [{"name": "example-org/open-pretraining-corpus", "type": "dataset"}]
    props = {p["name"]: p["value"] for p in model["properties"]}
    assert props["clearweights:profile:redhat"] == "pass"
    assert props["clearweights:profile:mof"] == "class 1"


def test_cyclonedx_non_spdx_licence_and_lineage() -> None:
    doc = json.loads(
        build_bom(
            str(ROOT / "examples/releases/llama-3.1-finetune"), "cyclonedx", spec_version="1.7"
        )
    )
    model = doc["metadata"]["component"]
    assert doc["specVersion"] == "1.7"
    assert all("id" not in lic["license"] for lic in model["licenses"])
    assert {lic["license"]["acknowledgement"] for lic in model["licenses"]} == {
        "declared",
        "concluded",
    }
    assert (
        model["pedigree"]["ancestors"][0]["purl"]
        == "pkg:huggingface/meta-llama/Llama-3.1-8B-Instruct"
    )


def test_spdx3_content_and_profile_rules() -> None:
    doc = json.loads(build_bom(str(ROOT / "examples/releases/llama-3.1-finetune"), "spdx3"))
    graph = doc["@graph"]
    model = next(n for n in graph if n["type"] == "ai_AIPackage")
    for key in (
        "suppliedBy",
        "releaseTime",
        "software_downloadLocation",
        "software_packageVersion",
    ):
        assert model[key]
    assert model["software_primaryPurpose"] == "model"
    relationships = [
        n for n in graph if n["type"] == "Relationship" and n["from"] == model["spdxId"]
    ]
    kinds = sorted(r["relationshipType"] for r in relationships)
    assert kinds.count("hasDeclaredLicense") == 1 and kinds.count("hasConcludedLicense") == 1
    assert "descendantOf" in kinds and "contains" in kinds
    expressions = [n for n in graph if n["type"] == "simplelicensing_LicenseExpression"]
    assert any(
        e["simplelicensing_licenseExpression"] == "LicenseRef-scancode-llama-3.1-license-2024"
        for e in expressions
    )
    files = [n for n in graph if n["type"] == "software_File"]
    assert all(f["verifiedUsing"][0]["algorithm"] == "sha256" for f in files)


def test_spdx3_datasets() -> None:
    doc = json.loads(build_bom(str(ROOT / "examples/releases/open-olmo-style"), "spdx3"))
    datasets = [n for n in doc["@graph"] if n["type"] == "dataset_DatasetPackage"]
    assert {d["name"] for d in datasets} >= {
        "example-org/open-pretraining-corpus",
        "eval-HellaSwag",
    }
    kinds = {n["relationshipType"] for n in doc["@graph"] if n["type"] == "Relationship"}
    assert {"trainedOn", "testedOn"} <= kinds


def test_boms_are_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    for fmt in ("cyclonedx", "spdx3"):
        first = build_bom(str(ROOT / "examples/releases/gemma-release"), fmt)
        assert build_bom(str(ROOT / "examples/releases/gemma-release"), fmt) == first
        assert "2023-11-14T22:13:20" in first


def _mutate(text: str, change: object) -> str:
    doc = json.loads(text)
    change(doc)  # type: ignore[operator]
    return json.dumps(doc)


@pytest.fixture(scope="module")
def boms() -> dict[str, str]:
    path = str(ROOT / "examples/releases/open-olmo-style")
    return {"cyclonedx": build_bom(path, "cyclonedx"), "spdx3": build_bom(path, "spdx3")}


def _set_model(doc: dict[str, object], key: str, value: object) -> None:
    graph = doc["@graph"]
    assert isinstance(graph, list)
    next(n for n in graph if n["type"] == "ai_AIPackage")[key] = value


def _drop_model(doc: dict[str, object], key: str) -> None:
    graph = doc["@graph"]
    assert isinstance(graph, list)
    del next(n for n in graph if n["type"] == "ai_AIPackage")[key]


CDX_BREAKS = {
    "unknown modelCard key": lambda d: d["metadata"]["component"]["modelCard"].update(bogus=1),
    "non-SPDX licence id": lambda d: d["metadata"]["component"]["licenses"].append(
        {"license": {"id": "llama3.1"}}
    ),
    "bad hash": lambda d: next(c for c in d["components"] if "hashes" in c)["hashes"][0].update(
        content="xyz"
    ),
    "bad serial number": lambda d: d.update(serialNumber="urn:uuid:NOT-A-UUID"),
}
SPDX_BREAKS = {
    "autonomy maybe": lambda d: _set_model(d, "ai_autonomyType", "maybe"),
    "critical risk": lambda d: _set_model(d, "ai_safetyRiskAssessment", "critical"),
    "unknown property": lambda d: _set_model(d, "ai_bogus", "x"),
    "fractional seconds": lambda d: d["@graph"][0].update(created="2025-01-01T00:00:00.5Z"),
    "3.0.0 context": lambda d: d.update({"@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld"}),
    "no suppliedBy": lambda d: _drop_model(d, "suppliedBy"),
    "no releaseTime": lambda d: _drop_model(d, "releaseTime"),
    "two declared licences": lambda d: d["@graph"].append(
        next(dict(n, spdxId=n["spdxId"] + "-copy") for n in d["@graph"]
             if n["type"] == "Relationship" and n["relationshipType"] == "hasDeclaredLicense")
    ),
    "dangling relationship": lambda d: next(
        n for n in d["@graph"] if n["type"] == "Relationship"
    ).update(to=["https://example.invalid/missing"]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CDX_BREAKS))
def test_cyclonedx_breakage_is_caught(boms: dict[str, str], name: str) -> None:
    kind, problems = validate_document(_mutate(boms["cyclonedx"], CDX_BREAKS[name]))
    assert kind == "cyclonedx"
    assert problems, name
    assert all(p.path.startswith("$") for p in problems)


@pytest.mark.parametrize("name", sorted(SPDX_BREAKS))
def test_spdx_breakage_is_caught(boms: dict[str, str], name: str) -> None:
    kind, problems = validate_document(_mutate(boms["spdx3"], SPDX_BREAKS[name]))
    assert kind == "spdx3"
    assert problems, name


def test_validate_cli_names_the_path(
    tmp_path: Path, boms: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.spdx3.json"
    bad.write_text(_mutate(boms["spdx3"], SPDX_BREAKS["no suppliedBy"]), encoding="utf-8")
    assert main(["bom", "validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "suppliedBy" in out and str(bad) in out
    garbage = tmp_path / "x.json"
    garbage.write_text("{not json", encoding="utf-8")
    assert main(["bom", "validate", str(garbage)]) == 1
    assert main(["bom", "validate", str(tmp_path / "missing.json")]) == 3


@pytest.mark.parametrize(
    "key",
    [
        ed25519.Ed25519PrivateKey.generate,
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        lambda: ec.generate_private_key(ec.SECP256K1()),
    ],
    ids=["ed25519", "rsa", "secp256k1"],
)
def test_wrong_keys_are_refused(
    tmp_path: Path, key: object, capsys: pytest.CaptureFixture[str]
) -> None:
    private = tmp_path / "key.pem"
    made = key()  # type: ignore[operator]
    private.write_bytes(
        made.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    release = tmp_path / "release"
    shutil.copytree(ROOT / "examples/releases/cc-by-nc-release", release)
    assert main(["sign", str(release), "--key", str(private)]) == 3
    err = capsys.readouterr().err
    assert str(private) in err and "Traceback" not in err
    assert not (release / "model.sig").exists()


@pytest.mark.parametrize("curve", [ec.SECP384R1(), ec.SECP521R1()], ids=["p384", "p521"])
def test_other_curves_sign_and_verify(tmp_path: Path, curve: ec.EllipticCurve) -> None:
    private, public = _keys(tmp_path, curve)
    release = tmp_path / "release"
    shutil.copytree(ROOT / "examples/releases/cc-by-nc-release", release)
    assert main(["sign", str(release), "--key", str(private)]) == 0
    assert main(["verify", str(release), "--key", str(public)]) == 0


def test_other_key_and_broken_bundles(
    tmp_path: Path, keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    private, _ = keys
    _, other_public = _keys(tmp_path, ec.SECP256R1())
    release = tmp_path / "release"
    shutil.copytree(ROOT / "examples/releases/cc-by-nc-release", release)
    assert main(["sign", str(release), "--key", str(private)]) == 0
    assert main(["verify", str(release), "--key", str(other_public)]) == 1
    signature = release / "model.sig"
    signature.write_bytes(signature.read_bytes()[:100])
    assert main(["verify", str(release), "--key", str(other_public)]) == 3
    signature.unlink()
    assert main(["verify", str(release), "--key", str(other_public)]) == 3
    assert "Traceback" not in capsys.readouterr().err


def test_hashing_matches_hashlib_and_sorts(tmp_path: Path) -> None:
    import hashlib

    for i in range(5):
        (tmp_path / f"f{i}.bin").write_bytes(bytes([i]) * (1 << 20) * (i + 1))
    digests = hash_files(tmp_path, [f"f{i}.bin" for i in reversed(range(5))], workers=3)
    assert [d.path for d in digests] == [f"f{i}.bin" for i in range(5)]
    for d in digests:
        assert d.sha256 == hashlib.sha256((tmp_path / d.path).read_bytes()).hexdigest()


def test_bom_of_a_mof_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bom", str(ROOT / "examples/releases/mof-release.yml")]) == 2
    assert "needs the release's files" in capsys.readouterr().err


def test_resign_encrypted_key_and_json_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    public = tmp_path / "pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    release = tmp_path / "release"
    shutil.copytree(ROOT / "examples/releases/cc-by-nc-release", release)
    monkeypatch.setenv("KEY_PASSWORD", "secret")
    args = ["sign", str(release), "--key", str(encrypted), "--password-env", "KEY_PASSWORD"]
    assert main(args) == 0
    assert main(args) == 0  # signing again must not sign the old signature
    assert main(["verify", str(release), "--key", str(public)]) == 0
    assert main(["sign", str(release), "--key", str(encrypted), "--password-env", "NOT_SET"]) == 2
    capsys.readouterr()
    (release / "model.sig").unlink()
    assert main(["verify", str(release), "--key", str(public), "--format", "json"]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["verified"] is False and "model.sig" in doc["error"]


def test_spec_version_is_for_cyclonedx(capsys: pytest.CaptureFixture[str]) -> None:
    target = str(ROOT / "examples/releases/gemma-release")
    assert main(["bom", target, "--format", "spdx3", "--spec-version", "1.7"]) == 2
    capsys.readouterr()


def _dual_release(folder: Path) -> Path:
    """A release whose LICENSE offers MIT or Apache-2.0, with an MIT-or-GPL script."""
    corpus = ROOT / "tests" / "corpus" / "licences"
    folder.mkdir()
    texts = [(corpus / f"{i}.txt").read_text("utf-8") for i in ("MIT", "Apache-2.0")]
    (folder / "LICENSE").write_text(
        "Licensed under either of the Apache License, Version 2.0 or the MIT license, at your "
        "option.\n\n" + "\n\n".join(texts),
        "utf-8",
    )
    (folder / "README.md").write_text(
        "---\nlicense: apache-2.0\nbase_model: meta-llama/Llama-3.2-1B\n---\n\n# dual\n", "utf-8"
    )
    header = b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    header += b" " * (-len(header) % 8)
    (folder / "model.safetensors").write_bytes(
        len(header).to_bytes(8, "little") + header + bytes(8)
    )
    (folder / "inference.py").write_text(
        "# SPDX-License-Identifier: MIT OR GPL-3.0-only\nprint('hello')\n", "utf-8"
    )
    return folder


def test_boms_keep_or(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    release = _dual_release(tmp_path / "dual")
    llama = "LicenseRef-scancode-llama-3.2-license-2024"
    cdx = json.loads(build_bom(str(release), "cyclonedx"))
    model = cdx["metadata"]["component"]
    (concluded,) = model["licenses"]
    expression = concluded["expression"]
    assert " OR " in expression and llama in expression and concluded["acknowledgement"]
    declared = [p for p in model["properties"] if p["name"] == "clearweights:declared-license"]
    assert declared[0]["value"] == "Apache-2.0"
    script = next(c for c in cdx["components"] if c["name"] == "inference.py")
    assert script["licenses"] == [
        {"expression": "MIT OR GPL-3.0-only", "acknowledgement": "concluded"}
    ]
    ancestor = model["pedigree"]["ancestors"][0]
    assert ancestor["licenses"][0]["license"]["name"].endswith(f"({llama})")
    spdx = json.loads(build_bom(str(release), "spdx3"))
    found = {
        n["simplelicensing_licenseExpression"]
        for n in spdx["@graph"]
        if n["type"] == "simplelicensing_LicenseExpression"
    }
    weights = next(e for e in found if llama in e and " OR " in e)
    assert weights in (f"(MIT OR Apache-2.0) AND {llama}", f"(Apache-2.0 OR MIT) AND {llama}")
    assert llama in found  # the base model package's own concluded licence
