"""Which MOF component a release file belongs to: an ordered rule table, then model code.

Fine-tuning output is placed by what it is, not by its suffix: ``training_args.bin`` is the
Trainer's pickled arguments (model metadata), ``optimizer.pt``, ``scheduler.pt`` and
``rng_state.pth`` are training state saved to resume (intermediate parameters, as OSAID counts
optimizer state), everything inside ``checkpoint-500/`` belongs to that intermediate checkpoint,
and ``adapter_model.safetensors`` is a PEFT adapter: the release's final parameters, as a delta
over its base model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property

from clearweights.components import MofComponent

M = MofComponent
WEIGHT_SUFFIXES = {
    ".safetensors",
    ".gguf",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".onnx",
    ".h5",
    ".msgpack",
    ".pkl",
    ".npz",
}
INTERMEDIATE = re.compile(
    r"(?:^|/)(?:checkpoint[-_]?\d+|checkpoints|intermediate|step[-_]?\d+|global[-_]?step[-_]?\d+)"
    r"(?:/|$)",
    re.I,
)
CODE_SUFFIXES = {
    ".py",
    ".sh",
    ".ipynb",
    ".js",
    ".ts",
    ".rs",
    ".go",
    ".c",
    ".cc",
    ".cpp",
    ".cu",
    ".java",
    ".jl",
    ".r",
}
_DATA = {".jsonl", ".parquet", ".csv", ".tsv", ".arrow", ".txt", ".json"}


@cache
def _rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


@dataclass(frozen=True)
class Rule:
    """Files with one of ``suffixes`` (any when empty) that fit any matcher (all when none)."""

    kind: MofComponent
    reason: str
    suffixes: frozenset[str] = frozenset()
    name: str | None = None  # regex over the lowercase file name
    path: str | None = None  # regex over the relative path
    names: frozenset[str] = frozenset()  # exact lowercase file names
    folders: tuple[str, ...] = ()  # a folder on the path starts with one of these
    exclude: str | None = None  # regex over the file name that rules the file out

    @cached_property
    def _compiled(
        self,
    ) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, re.Pattern[str] | None]:
        """The exclude, name and path patterns, compiled once per rule."""
        return (
            _rx(self.exclude) if self.exclude else None,
            _rx(self.name) if self.name else None,
            _rx(self.path, re.I) if self.path else None,
        )

    def fits(self, path: str, name: str, suffix: str, parents: tuple[str, ...] = ()) -> bool:
        """Whether the rule places this file (*parents*: its lowercase folder names)."""
        if self.suffixes and suffix not in self.suffixes:
            return False
        exclude, by_name, by_path = self._compiled
        if exclude is not None and exclude.search(name):
            return False
        if not (by_name or by_path or self.names or self.folders):
            return True
        return (
            (by_name is not None and by_name.search(name) is not None)
            or (by_path is not None and by_path.search(path) is not None)
            or name in self.names
            or (bool(self.folders) and any(p.startswith(self.folders) for p in parents))
        )


W, C, D = frozenset(WEIGHT_SUFFIXES), frozenset(CODE_SUFFIXES), frozenset(_DATA)
_METADATA_FILES = frozenset(
    {"generation_config.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json",
     "vocab.json", "vocab.txt", "merges.txt", "added_tokens.json", "preprocessor_config.json"}
)  # fmt: skip
_TOOLING_FILES = frozenset(
    {"requirements.txt", "setup.py", "pyproject.toml", "environment.yml", "setup.cfg"}
)
_MEDIA = frozenset({".png", ".jpg", ".jpeg", ".gif", ".wav", ".mp4", ".txt", ".md"})
_CHECKPOINT_FILES = W | {".json", ".model", ".tiktoken", ".txt"}
# Training state a Trainer, Accelerate or DeepSpeed saves to resume a run.
_TRAINING_STATE = (
    r"^(?:optimizer|scheduler|lr_scheduler|scaler|rng_state|random_states)(?:[-_.]\w+)*"
    r"\.(?:pt|pth|bin|pkl|safetensors)$|optim_states\.pt$"
)
_TRAINING_LOG = frozenset(
    {"training_args.bin", "training_args.json", "training_args.yaml", "trainer_state.json",
     "train_results.json"}
)  # fmt: skip
# The first rule that fits a file wins.
RULES: tuple[Rule, ...] = (
    Rule(M.MODEL_PARAMETERS_INTERMEDIATE, "file of an intermediate checkpoint", _CHECKPOINT_FILES,
         path=INTERMEDIATE.pattern),
    Rule(M.MODEL_METADATA, "training arguments and Trainer state (a training log, not parameters)",
         names=_TRAINING_LOG),
    Rule(M.MODEL_PARAMETERS_INTERMEDIATE, "optimizer, scheduler or random-number state saved to "
         "resume training", name=_TRAINING_STATE),
    Rule(M.MODEL_PARAMETERS_FINAL, "PEFT adapter weights (a delta over the base model)", W,
         name=r"^adapter_model\."),
    Rule(M.MODEL_ARCHITECTURE, "PEFT adapter configuration (base model, rank, target modules)",
         names=frozenset({"adapter_config.json"})),
    Rule(M.MODEL_PARAMETERS_FINAL, "weight file", W, exclude=r"^optimizer"),
    Rule(M.MODEL_CARD, "model card (README.md at the top)", path=r"^(?:readme|modelcard)\.md$"),
    Rule(M.DATA_CARD, "data card or datasheet", frozenset({".md", ".txt", ".pdf"}),
         name=r"data[_-]?card|datasheet|dataset[_-]?card"),
    Rule(M.RESEARCH_PAPER, "research paper", frozenset({".pdf"}), path=r"paper|arxiv"),
    Rule(M.TECHNICAL_REPORT, "technical report", frozenset({".pdf", ".md"}),
         name=r"report|technical"),
    Rule(M.EVALUATION_RESULTS, "evaluation results", frozenset({".json", ".md", ".csv"}),
         name=r"eval.*result|results|benchmark"),
    Rule(M.EVALUATION_CODE, "evaluation code", C, name=r"eval", folders=("eval",)),
    Rule(M.EVALUATION_DATA, "evaluation data", D, folders=("eval", "benchmark", "test")),
    Rule(M.DATA_PREPROCESSING_CODE, "data preprocessing code", C,
         name=r"preprocess|prepare|clean|filter|dedup|tokeni[sz]e_data|data_prep"),
    Rule(M.TRAINING_CODE, "training code", C, name=r"train|finetun|fine_tun|pretrain|sft|dpo",
         folders=("train",)),
    Rule(M.MODEL_ARCHITECTURE, "architecture definition", names=frozenset({"config.json"})),
    Rule(M.MODEL_ARCHITECTURE, "architecture definition", frozenset({".py"}),
         name=r"^(?:modeling|modelling|configuration|model|models)[_.]"),
    Rule(M.MODEL_ARCHITECTURE, "architecture definition (model code by its name)",
         frozenset({".py"}),
         name=r"^(?:unet|vae|autoencoder|transformer|attention|layers|modules|encoder|decoder|"
              r"backbone|network|networks|net|nets|arch|architecture)(?:[_.]|\d)|_(?:arch|net|model)\.py$",
         folders=("models", "modules", "networks", "arch")),
)  # fmt: skip
# After a file's name did not place it, a Python file named after the model is its code.
LATER_RULES: tuple[Rule, ...] = (
    Rule(M.INFERENCE_CODE, "inference code", C,
         name=r"infer|generat|predict|serve|chat|run|demo|handler|pipeline|example",
         folders=("example", "inference")),
    Rule(M.MODEL_METADATA, "tokenizer and generation settings", names=_METADATA_FILES,
         name=r"\.(?:model|tiktoken)$"),
    Rule(M.SUPPORTING_LIBRARIES, "dependencies and tooling", names=_TOOLING_FILES),
    Rule(M.SUPPORTING_LIBRARIES, "tokenizer code", frozenset({".py"}), name=r"^tokenization_"),
    Rule(M.SAMPLE_OUTPUTS, "sample outputs", _MEDIA,
         folders=("sample", "output", "assets", "images")),
    Rule(M.DATASETS, "dataset files", D, folders=("data",)),
)  # fmt: skip
CATCH_ALL = (M.INFERENCE_CODE, "other code (assumed to run the model)")
MODEL_CODE = (M.MODEL_ARCHITECTURE, "architecture definition (defines the model's network)")
NAMED_CODE = (M.MODEL_ARCHITECTURE, "architecture definition (named after the model)")
# A class built on a network base class: torch, transformers, diffusers, Lightning, Keras, Flax.
# The bases are bounded so that hostile text cannot make the search quadratic.
_MODULE_CLASS = re.compile(
    r"^class[ \t]+\w+[ \t]*\([^)]{0,300}?(?:\b(?:nn\.Module|PretrainedConfig|ModelMixin|"
    r"LightningModule|keras\.Model|nn\.Layer|eqx\.Module)|PreTrainedModel)\b",
    re.M,
)
# Words of release names that name no model, or name what other code does (demo.py stays
# inference code in "xyz-demo").
_GENERIC = {"model", "models", "base", "small", "large", "medium", "tiny", "mini", "main", "hf",
            "instruct", "chat", "v1", "v2", "v3", "the", "for", "and", "open", "demo", "app",
            "api", "cli", "web", "gradio", "server", "serve", "run", "inference", "infer",
            "generate", "example", "examples", "utils", "test", "tests", "eval", "train",
            "finetune", "sft", "lora", "gguf", "awq", "gptq", "int4", "int8", "fp16", "bf16",
            "release", "official", "repo", "code", "setup", "config"}  # fmt: skip


def model_names(*names: str | None) -> frozenset[str]:
    """Words that name the model (``musicgen`` from ``musicgen-small`` or ``MusicgenForX``)."""
    out: set[str] = set()
    for raw in names:
        if not raw:
            continue
        spaced = re.sub(r"(For[A-Z]\w*|Model|Config)$", "", raw.split("/")[-1])
        for word in re.split(r"[^a-z0-9]+", spaced.lower()):
            if len(word) >= 3 and word not in _GENERIC and not word.isdigit():
                out.add(word)
    return frozenset(out)


_Check = tuple[
    MofComponent,
    str,
    "re.Pattern[str] | None",
    "re.Pattern[str] | None",
    "re.Pattern[str] | None",
    frozenset[str],
    "re.Pattern[str] | None",
    bool,
]


# Whether any rule of a table can place a file, tested at once: every rule's name patterns as
# one alternation, its path patterns as another, its names and folders together (``None``:
# some rule places every file of the suffix, or the patterns could not be joined).
_Gate = tuple[
    "re.Pattern[str] | None", "re.Pattern[str] | None", frozenset[str], "re.Pattern[str] | None"
]


def _under(prefixes: tuple[str, ...]) -> re.Pattern[str] | None:
    """A pattern over a file's lowercase folders (``a/b``) that finds a folder starting with
    one of *prefixes*, as ``any(p.startswith(prefixes) for p in parents)`` decides."""
    if not prefixes:
        return None
    return re.compile("(?:^|/)(?:" + "|".join(map(re.escape, prefixes)) + ")")


@cache
def _for_suffix(later: bool, suffix: str) -> tuple[tuple[_Check, ...], _Gate | None]:
    """The rules (of LATER_RULES when *later*) that may place a file with *suffix*, in order,
    as the plain values ``Rule.fits`` tests (this runs for every file of a release), and the
    gate that rules out most files at once."""
    rules = [r for r in (LATER_RULES if later else RULES) if not r.suffixes or suffix in r.suffixes]
    checks = tuple(
        (r.kind, r.reason, *r._compiled, r.names, _under(r.folders),
         not (r.name or r.path or r.names or r.folders))
        for r in rules
    )  # fmt: skip
    folders = tuple(f for r in rules for f in r.folders)
    return checks, _gate(checks, folders)


def _gate(checks: tuple[_Check, ...], folders: tuple[str, ...]) -> _Gate | None:
    if any(check[7] for check in checks):
        return None
    by_name = "|".join(f"(?:{c[3].pattern})" for c in checks if c[3] is not None)
    by_path = "|".join(f"(?:{c[4].pattern})" for c in checks if c[4] is not None)
    try:
        return (
            re.compile(by_name) if by_name else None,
            re.compile(by_path, re.I) if by_path else None,
            frozenset().union(*(c[5] for c in checks)),
            _under(folders),
        )
    except re.error:  # pragma: no cover - a pattern that cannot stand in an alternation
        return None


def _first(
    table: tuple[tuple[_Check, ...], _Gate | None], path: str, name: str, folder: str
) -> int:
    """The index of the first check that places the file, as ``Rule.fits`` decides, or -1.

    *folder* is the file's folder path in lowercase (empty at the top).
    """
    checks, gate = table
    if gate is not None:
        by_name, by_path, names, under = gate
        if not (
            (by_name is not None and by_name.search(name) is not None)
            or (by_path is not None and by_path.search(path) is not None)
            or name in names
            or (under is not None and folder and under.search(folder) is not None)
        ):
            return -1  # no rule's matcher fits: excludes only rule out more
    for i, (_, _, exclude, by_name, by_path, names, under, always) in enumerate(checks):
        if exclude is not None and exclude.search(name):
            continue
        if (
            always
            or (by_name is not None and by_name.search(name) is not None)
            or (by_path is not None and by_path.search(path) is not None)
            or name in names
            or (under is not None and folder and under.search(folder) is not None)
        ):
            return i
    return -1


_NON_WORD = re.compile(r"[^a-z0-9]+")


def assign(
    path: str, *, names: frozenset[str] = frozenset(), code: str | None = None
) -> tuple[MofComponent, str] | None:
    """Return the component a release file belongs to, and why; ``None`` when it fits none.

    *names* are words naming the model (a ``musicgen.py`` is its code); *code* is the head of a
    Python file, when read, so that a file defining ``nn.Module`` classes counts as architecture.
    """
    # Name, suffix and folders as PurePosixPath gives them (release paths are relative, with
    # single forward slashes), without an object per file.
    folder, _, base = path.rpartition("/")
    dot = base.rfind(".")
    suffix = base[dot:].lower() if 0 < dot < len(base) - 1 else ""
    name, folder = base.lower(), folder.lower()
    table = _for_suffix(False, suffix)
    if (i := _first(table, path, name, folder)) >= 0:
        return table[0][i][0], table[0][i][1]
    if suffix == ".py":
        stem = _NON_WORD.sub("_", base[:dot].lower()).strip("_")
        if stem in names or any(stem.startswith(n + "_") for n in names):
            return NAMED_CODE
    table = _for_suffix(True, suffix)
    if (i := _first(table, path, name, folder)) >= 0:
        return table[0][i][0], table[0][i][1]
    if suffix != ".py":
        return None
    if code is not None and _MODULE_CLASS.search(code):
        return MODEL_CODE
    return CATCH_ALL
