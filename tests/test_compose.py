"""docker-compose.yml, .env.example and the Dockerfile agree with the code they deploy.

Static checks, no Docker engine: each check returns the problems it finds, the tests assert there
are none, and the last tests feed each check a broken copy to show it can fail.
"""

import ast
import copy
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from contract import search_attributes as sa

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

APP_SERVICES = ("worker", "api")
INIT_JOB = "temporal-create-namespace"
SCHEMA_JOB = "temporal-admin-tools"
# temporalio.envconfig (temporal_setup/connection.py) reads these without our code naming them.
ENVCONFIG_VARS = frozenset({"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY"})
CONDITIONS = frozenset({"service_started", "service_healthy", "service_completed_successfully"})
LONG_RUNNING = frozenset({"always", "unless-stopped"})
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --- reading the files -------------------------------------------------------------------------


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def load_env_example() -> dict[str, str | None]:
    """NAME -> value; a `#NAME=` line (no space after #) documents a variable left unset (None)."""
    found: dict[str, str | None] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if match := re.fullmatch(r"(#?)([A-Z][A-Z0-9_]*)=(.*)", line):
            commented, name, value = match.groups()
            found[name] = None if commented else value
    return found


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def dockerfile_value(instruction: str) -> str:
    values = [value for name, value in dockerfile_instructions() if name == instruction]
    assert values, f"Dockerfile has no {instruction}"
    return values[-1]


# --- compose interpolation (${VAR}, ${VAR:-default}, ${VAR-default}, nesting, $$) -----------------


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise AssertionError(f"unclosed ${{ in {text!r}")


def interpolate(text: str, env: Mapping[str, str | None]) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        if text[index] != "$":
            out.append(text[index])
            index += 1
        elif text.startswith("$$", index):
            out.append("$")
            index += 2
        elif text.startswith("${", index):
            end = _closing_brace(text, index + 1)
            body = text[index + 2 : end]
            name = NAME.match(body)
            assert name, f"bad interpolation in {text!r}"
            value, rest = env.get(name.group()), body[name.end() :]
            if rest.startswith(":-"):
                out.append(value or interpolate(rest[2:], env))
            elif rest.startswith("-"):
                out.append(value if value is not None else interpolate(rest[1:], env))
            else:
                assert not rest, f"unsupported interpolation {text[index : end + 1]!r}"
                out.append(value or "")
            index = end + 1
        elif name := NAME.match(text, index + 1):
            out.append(env.get(name.group()) or "")
            index = name.end()
        else:
            out.append("$")
            index += 1
    return "".join(out)


def references(text: str) -> Iterator[tuple[str, str]]:
    """(NAME, what follows it) for every ${NAME...} and $NAME in text, nested ones included."""
    unescaped = text.replace("$$", "")
    for match in re.finditer(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(.{0,2})", unescaped):
        yield match.group(1), match.group(2)
    for match in re.finditer(r"\$([A-Za-z_][A-Za-z0-9_]*)", unescaped):
        yield match.group(1), ""


def defaults(text: str) -> dict[str, str]:
    """NAME -> the value compose uses when .env and the shell leave NAME unset."""
    found = {}
    unescaped = text.replace("$$", "")
    for match in re.finditer(r"\$\{([A-Za-z_][A-Za-z0-9_]*):-", unescaped):
        end = _closing_brace(unescaped, match.start() + 1)
        found[match.group(1)] = interpolate(unescaped[match.end() : end], {})
    return found


def strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def service_env(service: Mapping) -> dict[str, str | None]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {key: None if value is None else str(value) for key, value in env.items()}


def depends_on(service: Mapping) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def compose_seconds(duration: str) -> float:
    units = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)", duration)
    assert parts and "".join(a + b for a, b in parts) == duration, f"bad duration {duration!r}"
    return sum(float(amount) * units[unit] for amount, unit in parts)


def image_tag(image: str) -> str:
    """The tag of repo[:tag][@digest]; "" when there is none (which means latest)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else ""


# --- what the Python code reads ------------------------------------------------------------------


def project_modules() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] not in {"tests", "build"} and not any(p.startswith(".") for p in parts):
            yield path


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _constant(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def env_reads(path: Path) -> set[str]:
    """Variables read as os.environ.get("X"), os.environ["X"], os.getenv("X") (and setdefault)."""
    readers = {"os.environ.get", "os.environ.setdefault", "os.getenv", "environ.get", "getenv"}
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Call) and _dotted(node.func) in readers and node.args:
            name = _constant(node.args[0])
        elif isinstance(node, ast.Subscript) and _dotted(node.value) in {"os.environ", "environ"}:
            name = _constant(node.slice)
        else:
            continue
        if name:
            names.add(name)
    return names


def module_path(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.parent / f"{base.name}.py", base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imports(path: Path, module: str) -> set[str]:
    """Every module an import in path names, with the parent packages that import runs."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    named = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            named.add(base)
            named.update(f"{base}.{alias.name}" for alias in node.names)
    parts = [name.split(".") for name in named if name]
    return {".".join(p[:i]) for p in parts for i in range(1, len(p) + 1)}


def reads_from(entry: str) -> set[str]:
    """Environment variables read by entry and every project module it imports, transitively."""
    seen, todo, names = set(), [entry], set()
    while todo:
        module = todo.pop()
        path = module_path(module)
        if module in seen or path is None:
            continue
        seen.add(module)
        names |= env_reads(path)
        imported = imports(path, module)
        if "temporalio.envconfig" in imported:
            names |= ENVCONFIG_VARS
        todo.extend(imported)
    return names


def entry_module(command: list[str]) -> str:
    """The module `python X.py` or `python -m X` runs."""
    assert command[0] in {"python", "python3"}, f"not a python command: {command}"
    if command[1] == "-m":
        module = command[2]
        return f"{module}.__main__" if (ROOT / module.replace(".", "/")).is_dir() else module
    return command[1].removesuffix(".py").replace("/", ".")


def service_command(compose: Mapping, name: str) -> list[str]:
    command = compose["services"][name].get("command")
    if command is None:
        command = json.loads(dockerfile_value("CMD"))
    return command.split() if isinstance(command, str) else list(command)


def graceful_shutdown_seconds() -> float:
    source = (ROOT / "worker.py").read_text(encoding="utf-8")
    match = re.search(r"graceful_shutdown_timeout=timedelta\((\w+)=([\d.]+)\)", source)
    assert match, "worker.py sets no graceful_shutdown_timeout=timedelta(<unit>=N)"
    unit, amount = match.groups()
    return float(amount) * {"seconds": 1, "minutes": 60, "hours": 3600}[unit]


def bind_mount_source(service: Mapping, container_path: str) -> Path | None:
    """The host file behind container_path, through the service's ./host:/container mounts."""
    for volume in service.get("volumes") or []:
        source, target = volume.split(":")[:2]
        if source.startswith(".") and container_path.startswith(target.rstrip("/") + "/"):
            return ROOT / source / container_path[len(target.rstrip("/")) + 1 :]
    return None


# --- the checks --------------------------------------------------------------------------------


def unpinned_images(compose: Mapping, env: Mapping[str, str | None]) -> list[str]:
    problems = []
    for name, service in compose["services"].items():
        if "image" not in service:
            problems.append(f"{name}: no image")
            continue
        for source, values in ((".env.example", env), ("defaults", {})):
            image = interpolate(service["image"], values)
            if image_tag(image) in {"", "latest"}:
                problems.append(f"{name}: image {image!r} (with {source}) has no explicit tag")
    return problems


def bad_dependencies(compose: Mapping) -> list[str]:
    services = compose["services"]
    problems = []
    for name, service in services.items():
        for target, condition in depends_on(service).items():
            if target not in services:
                problems.append(f"{name}: depends on unknown service {target!r}")
            elif condition not in CONDITIONS:
                problems.append(f"{name}: depends on {target} with bad condition {condition!r}")
            elif condition == "service_healthy" and "healthcheck" not in services[target]:
                problems.append(f"{name}: waits for {target} to be healthy; it has no healthcheck")
            elif condition == "service_completed_successfully" and (
                services[target].get("restart", "no") in LONG_RUNNING
            ):
                problems.append(f"{name}: waits for {target} to complete; it restarts forever")

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            problems.append(f"dependency cycle: {' -> '.join([*path, name])}")
            return
        for target in depends_on(services.get(name, {})):
            visit(target, (*path, name))

    for name in services:
        visit(name, ())
    return sorted(set(problems))


def unwired_variables(compose: Mapping, env: Mapping[str, str | None]) -> list[str]:
    """Variables the code reads that .env.example or a service's environment lacks."""
    problems = []
    services = compose["services"]
    for name in APP_SERVICES:
        wired = service_env(services[name])
        entry = entry_module(service_command(compose, name))
        if module_path(entry) is None:
            problems.append(f"{name}: runs {entry}, which is not in the project")
        for var in sorted(reads_from(entry) - wired.keys()):
            problems.append(f"{name}: the code it runs reads {var}; its environment lacks it")
    everywhere = set().union(*(env_reads(path) for path in project_modules())) | ENVCONFIG_VARS
    in_apps = set().union(*(service_env(services[name]) for name in APP_SERVICES))
    for var in sorted(everywhere - in_apps):
        problems.append(f"{var} is read by the code but wired into none of {APP_SERVICES}")
    for var in sorted(everywhere - env.keys()):
        problems.append(f"{var} is read by the code but missing from .env.example")
    return problems


def env_example_drift(compose: Mapping, env: Mapping[str, str | None]) -> list[str]:
    """.env.example documents exactly the settings compose reads, with the same defaults."""
    problems = []
    referenced = {name for text in strings(compose) for name, _ in references(text)}
    passed_through = {
        var
        for service in compose["services"].values()
        for var, value in service_env(service).items()
        if value is None
    }
    for var in sorted(env.keys() - referenced - passed_through):
        problems.append(f".env.example sets {var}; docker-compose.yml never uses it")
    for var in sorted((referenced | passed_through) - env.keys()):
        problems.append(f"docker-compose.yml uses {var}; .env.example does not document it")
    for text in strings(compose):
        for var, follows in references(text):
            if not follows.startswith(":-"):
                problems.append(f"${{{var}}} has no :- default, so compose needs .env: {text!r}")
    seen: dict[str, str] = {}
    for text in strings(compose):
        for var, default in defaults(text).items():
            if seen.setdefault(var, default) != default:
                problems.append(f"{var} has two defaults: {seen[var]!r} and {default!r}")
    for var, value in env.items():
        if value and var in seen and value != seen[var]:
            problems.append(f".env.example {var}={value}; docker-compose.yml default {seen[var]}")
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        above = lines[number - 1] if number else ""
        if re.fullmatch(r"#?[A-Z][A-Z0-9_]*=.*", line) and not above.startswith("# "):
            problems.append(f".env.example line {number + 1} ({line}) has no comment above it")
    return problems


def host_ports(compose: Mapping, env: Mapping[str, str | None]) -> dict[int, list[str]]:
    published: dict[int, list[str]] = {}
    for name, service in compose["services"].items():
        for port in service.get("ports") or []:
            if isinstance(port, Mapping):
                host = str(port.get("published", ""))
            else:
                fields = interpolate(str(port), env).split("/")[0].split(":")
                host = fields[-2] if len(fields) > 1 else ""
            host = interpolate(host, env)
            if host:
                first, _, last = host.partition("-")
                for number in range(int(first), int(last or first) + 1):
                    published.setdefault(number, []).append(name)
    return published


def port_collisions(compose: Mapping, env: Mapping[str, str | None]) -> list[str]:
    problems = []
    for source, values in ((".env.example", env), ("defaults", {})):
        for port, names in sorted(host_ports(compose, values).items()):
            if len(names) > 1:
                problems.append(f"host port {port} ({source}) published by {names}")
    return problems


def worker_scaling_problems(compose: Mapping) -> list[str]:
    worker = compose["services"]["worker"]
    problems = []
    if "container_name" in worker:
        problems.append("worker has a container_name: `--scale worker=N` would fail")
    if worker.get("ports"):
        problems.append("worker publishes ports: a second replica could not bind them")
    grace = compose_seconds(str(worker.get("stop_grace_period", "10s")))
    if grace <= graceful_shutdown_seconds():
        problems.append(
            f"worker stop_grace_period {grace:g}s does not exceed worker.py's "
            f"graceful_shutdown_timeout of {graceful_shutdown_seconds():g}s"
        )
    if worker.get("stop_signal", "SIGTERM") != "SIGTERM":
        problems.append("worker.py shuts down gracefully on SIGTERM; stop_signal differs")
    return problems


def contract_search_attributes() -> dict[str, str]:
    """Name -> type as the temporal CLI spells it (INDEXED_VALUE_TYPE_KEYWORD_LIST: KeywordList)."""
    return {
        key.name: "".join(
            word.capitalize()
            for word in key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_").split("_")
        )
        for key in sa.ALL
    }


def init_job_problems(compose: Mapping) -> list[str]:
    job = compose["services"][INIT_JOB]
    problems = []
    pairs = (service_env(job).get("SEARCH_ATTRIBUTES") or "").split()
    registered = dict(pair.split("=", 1) for pair in pairs)
    if len(registered) != len(pairs) or registered != contract_search_attributes():
        problems.append(
            f"{INIT_JOB} registers {pairs}; contract/search_attributes.ALL is "
            f"{contract_search_attributes()}"
        )
    script = bind_mount_source(job, service_command(compose, INIT_JOB)[-1])
    if script is None or not script.is_file():
        problems.append(f"{INIT_JOB}: its script is not a file of this repository")
    else:
        text = script.read_text(encoding="utf-8")
        for needed in ("$SEARCH_ATTRIBUTES", "namespace create", "search-attribute create"):
            if needed not in text:
                problems.append(f"{script.name} does not contain {needed!r}")
    for name in APP_SERVICES:
        if depends_on(compose["services"][name]).get(INIT_JOB) != "service_completed_successfully":
            problems.append(f"{name} does not wait for {INIT_JOB} to complete")
    return problems


def schema_job_problems(compose: Mapping) -> list[str]:
    job = compose["services"][SCHEMA_JOB]
    problems = []
    script = bind_mount_source(job, service_command(compose, SCHEMA_JOB)[-1])
    if script is None or not script.is_file():
        return [f"{SCHEMA_JOB}: its script is not a file of this repository"]
    text = script.read_text(encoding="utf-8")
    for database, schema in (("temporal", "temporal"), ("temporal_visibility", "visibility")):
        for step in ("create", "setup-schema -v 0.0", f'update-schema -d "$SCHEMA_DIR/{schema}/'):
            if not re.search(rf"--db {database} {re.escape(step)}", text):
                problems.append(f"{script.name}: no `--db {database} {step}`")
    app_db = service_env(job).get("APP_DATABASE")
    if '--db "$APP_DATABASE" create' not in text:
        problems.append(f"{script.name} does not create $APP_DATABASE")
    for name in APP_SERVICES:
        url = urlsplit(interpolate(service_env(compose["services"][name])["DATABASE_URL"], {}))
        if (url.hostname, url.path.lstrip("/")) != ("postgresql", app_db):
            problems.append(f"{name}: default DATABASE_URL is not database {app_db} on postgresql")
    return problems


# --- the tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


@pytest.fixture(scope="module")
def env() -> dict[str, str | None]:
    return load_env_example()


def test_every_image_has_an_explicit_tag(compose: dict, env: dict) -> None:
    assert unpinned_images(compose, env) == []
    assert image_tag(dockerfile_value("FROM")) not in {"", "latest"}


def test_dependencies_exist_with_valid_conditions(compose: dict) -> None:
    assert bad_dependencies(compose) == []


def test_app_services_wire_every_variable_the_code_reads(compose: dict, env: dict) -> None:
    assert unwired_variables(compose, env) == []


def test_env_example_documents_exactly_the_compose_settings(compose: dict, env: dict) -> None:
    assert env_example_drift(compose, env) == []


def test_published_ports_do_not_collide(compose: dict, env: dict) -> None:
    assert port_collisions(compose, env) == []


def test_worker_scales_and_stops_gracefully(compose: dict) -> None:
    assert worker_scaling_problems(compose) == []


def test_init_job_registers_the_contract_search_attributes(compose: dict) -> None:
    assert init_job_problems(compose) == []


def test_schema_job_prepares_both_temporal_databases_and_the_app_database(compose: dict) -> None:
    assert schema_job_problems(compose) == []


def test_image_runs_the_worker_as_non_root_and_stops_on_sigterm() -> None:
    assert json.loads(dockerfile_value("CMD")) == ["python", "worker.py"]
    assert dockerfile_value("STOPSIGNAL") == "SIGTERM"
    assert dockerfile_value("USER").split(":")[0] not in {"", "0", "root"}
    ignored = set(DOCKERIGNORE.read_text(encoding="utf-8").split())
    assert {".venv", ".data", "tests/artifacts", ".git", ".env"} <= ignored


# --- the checks can fail -----------------------------------------------------------------------


def test_checks_catch_broken_copies(compose: dict, env: dict) -> None:
    broken = copy.deepcopy(compose)
    services = broken["services"]
    services["temporal-ui"]["image"] = "temporalio/ui:latest"
    services["postgresql"]["image"] = "postgres"
    services["temporal"]["depends_on"]["nowhere"] = {"condition": "service_healthy"}
    services["worker"]["depends_on"]["postgresql"]["condition"] = "service_ready"
    del services["worker"]["environment"]["TASK_QUEUE"]
    services["api"]["ports"].append("${TEMPORAL_UI_PORT:-8080}:80")
    services["worker"]["stop_grace_period"] = "10s"
    services["worker"]["container_name"] = "worker"
    services[INIT_JOB]["environment"]["SEARCH_ATTRIBUTES"] = "TicketPriority=Keyword"

    assert len(unpinned_images(broken, env)) == 4
    assert any("nowhere" in problem for problem in bad_dependencies(broken))
    assert any("service_ready" in problem for problem in bad_dependencies(broken))
    assert any("TASK_QUEUE" in problem for problem in unwired_variables(broken, env))
    assert any("8080" in problem for problem in port_collisions(broken, env))
    assert len(worker_scaling_problems(broken)) == 2
    assert init_job_problems(broken) != []


def test_checks_catch_undocumented_settings(compose: dict, env: dict) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["worker"]["environment"]["NEW_SETTING"] = "${NEW_SETTING}"
    problems = env_example_drift(broken, {**env, "UNUSED": "1"})
    assert any("UNUSED" in problem for problem in problems)
    assert sum("NEW_SETTING" in problem for problem in problems) == 2


def test_code_scan_sees_every_way_of_reading_a_variable(tmp_path: Path) -> None:
    module = tmp_path / "reads.py"
    module.write_text(
        "import os\n"
        'a = os.environ.get("ONE")\n'
        "b = os.environ['TWO']\n"
        'c = os.getenv(\n    "THREE", "x"\n)\n'
        "d = os.environ.get(name)\n"
    )
    assert env_reads(module) == {"ONE", "TWO", "THREE"}


def test_interpolation_follows_compose_rules() -> None:
    env = {"SET": "v", "EMPTY": ""}
    assert interpolate("${SET:-d}/${EMPTY:-d}/${EMPTY-d}/${UNSET-d}", env) == "v/d//d"
    assert interpolate("${UNSET:-${SET:-x}:${NONE:-y}}$$HOME", env) == "v:y$HOME"
    assert defaults("a ${URL:-p://${USER:-u}@h/db} b") == {"URL": "p://u@h/db", "USER": "u"}
