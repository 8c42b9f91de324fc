"""Debian packages the project needs at run time (HAProxy for the scaled topology, Chromium for
the browser tests), installed with apt-get the first time they are wanted."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


class MissingPackage(RuntimeError):
    pass


def ensure_debian_package(path: str, package: str) -> str:
    """``path`` from Debian's ``package``, installed with apt-get when it is missing."""
    if Path(path).exists():
        return path
    apt = shutil.which("apt-get")
    if apt is None:
        raise MissingPackage(f"{path} is missing and apt-get is not available to install {package}")

    def apt_get(*words: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        return subprocess.run([apt, *words], capture_output=True, text=True, env=env)

    result = apt_get("install", "-y", package)
    if result.returncode != 0:  # the package lists may be stale or missing
        apt_get("update")
        result = apt_get("install", "-y", package)
    if result.returncode != 0 or not Path(path).exists():
        raise MissingPackage(
            f"{path} is missing and `apt-get install -y {package}` failed "
            f"(exit {result.returncode}); install it by hand.\n{result.stderr[-2000:]}"
        )
    return path
