"""cfn-lint before deploy, as ``sam validate --lint`` does, without adding to the start-up time.

:class:`TemplateLint` starts cfn-lint on the template in a process of its own as soon as the runtime
starts (it takes a few seconds of CPU, on the other core while moto imports and the template is
packaged); :meth:`TemplateLint.findings` waits for it. Errors stop the start-up, each on one line
(``template.yaml:94:5: E3039 The set of Attributes ...``); warnings are logged and do not.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
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


class TemplateLint:
    def __init__(self, template: Path, region: str) -> None:
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

    def findings(self, timeout: float = 300.0) -> Findings:
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
        if self._proc.returncode not in (0, 2, 4, 6, 8, 10, 12, 14) and not errors:
            # cfn-lint itself failed (not a finding): say so, in one line
            detail = " ".join((err or out).split())[:300] or f"exit code {self._proc.returncode}"
            errors.append(f"cfn-lint could not check the template: {detail}")
        return Findings(errors, warnings)

    def cancel(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()
