"""cfn-lint before deploy, as ``sam validate --lint`` does, without adding to the start-up time.

:class:`TemplateLint` starts cfn-lint on the template in a process of its own as soon as the runtime
starts (it takes a few seconds of CPU, on the other core while moto imports and the template is
packaged); :meth:`TemplateLint.findings` waits for it. Errors stop the start-up, each on one line
(``template.yaml:94:5: E3039 The set of Attributes ...``); warnings are logged and do not.

With a ``cache`` folder (the runtime's build cache), what cfn-lint found is kept per template hash
(the template's bytes, its file name, the region and cfn-lint's version): a start on a template
already linted reads the findings back and starts no process (on 2 cores, cfn-lint's few seconds
of CPU competed with the start-up itself).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

_PARSEABLE = re.compile(
    r"^(?P<file>.*?):(?P<line>\d+):(?P<col>\d+):\d+:\d+:(?P<rule>[EWI]\d+):(?P<message>.*)$"
)


# cfn-lint's console script, run by this interpreter (the package has no __main__)
_RUN_CFN_LINT = "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"


@dataclass(frozen=True)
class Findings:
    errors: list[str]
    warnings: list[str]


# cfn-lint's exit codes when it ran: a bit each for errors (2), warnings (4) and informational (8)
_RAN = (0, 2, 4, 6, 8, 10, 12, 14)


def cache_key(template: Path, region: str) -> str:
    """What cfn-lint's findings on ``template`` depend on, hashed."""
    digest = hashlib.sha256()
    for part in (metadata.version("cfn-lint"), region, template.name):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(template.read_bytes())
    return digest.hexdigest()[:32]


class TemplateLint:
    def __init__(self, template: Path, region: str, cache: Path | None = None) -> None:
        self._cache_file = cache / f"{cache_key(template, region)}.json" if cache is not None else None
        self.cached = self._read_cache()
        self._proc: subprocess.Popen[str] | None = None
        if self.cached is not None:
            return
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _RUN_CFN_LINT,
                "--format",
                "parseable",
                "--regions",
                region,
                "--",
                template.name,
            ],
            cwd=template.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def _read_cache(self) -> Findings | None:
        if self._cache_file is None:
            return None
        try:
            raw = json.loads(self._cache_file.read_text())
            return Findings([str(e) for e in raw["errors"]], [str(w) for w in raw["warnings"]])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # not linted yet (or a damaged entry: linted again, and rewritten)

    def _write_cache(self, findings: Findings) -> None:
        if self._cache_file is None:
            return
        try:
            self._cache_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._cache_file.parent, suffix=".tmp")
            with os.fdopen(fd, "w") as handle:
                json.dump(asdict(findings), handle)
            os.replace(tmp, self._cache_file)  # whole or absent, whoever reads it meanwhile
        except OSError:
            pass  # a cache that cannot be written only costs the next start a lint

    def findings(self, timeout: float = 300.0) -> Findings:
        if self.cached is not None:
            return self.cached
        assert self._proc is not None
        out, err = self._proc.communicate(timeout=timeout)
        errors: list[str] = []
        warnings: list[str] = []
        for line in out.splitlines():
            match = _PARSEABLE.match(line)
            if match is None:
                continue
            text = (
                f"{match['file']}:{match['line']}:{match['col']}: {match['rule']} {match['message'].strip()}"
            )
            if match["rule"].startswith("E"):
                errors.append(text)
            elif match["rule"].startswith("W"):
                warnings.append(text)
        if self._proc.returncode not in _RAN and not errors:
            # cfn-lint itself failed (not a finding): say so, in one line; not kept
            detail = " ".join((err or out).split())[:300] or f"exit code {self._proc.returncode}"
            errors.append(f"cfn-lint could not check the template: {detail}")
            return Findings(errors, warnings)
        self._write_cache(Findings(errors, warnings))
        return Findings(errors, warnings)

    def cancel(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()
