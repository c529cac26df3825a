"""Names of the frameworks and MOF modes (cheap to import, for command-line choices)."""

PROFILES = ("redhat", "osaid-1.0", "mof", "eu-ai-act-53-2")
MOF_MODES = ("strict", "mot")
