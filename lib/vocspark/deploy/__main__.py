"""Deployment commands (``python -m vocspark.deploy ...``; ``spark-submit.sh --target emr|glue`` calls ``submit``).

  template  [--config conf/glue.yaml]      print the CloudFormation template (deploy/cloudformation.json)
  policy    [--config conf/glue.yaml]      print the least-privilege IAM policy (tokens as in the template)
  workflows --config conf/glue.yaml [--zip dist/vocspark-<v>.zip]
                                           check that every scheduled model has a champion and the topic model a
                                           mapping for it (refuses otherwise, before any upload), upload every
                                           artifact (building the zip when not given), create or update all Glue
                                           jobs, both workflows and the failure alerts (EventBridge -> SNS)
  upload    --config conf/glue.yaml [--zip ZIP]
                                           upload every artifact only (before `aws cloudformation deploy`)
  submit    --target emr|glue --zip ZIP <job> [job args]
                                           upload the package, the job script and its config (and for emr the
                                           zip of the pure-Python dependencies), then add an EMR step (emr) or
                                           create/update the Glue job and start a run (glue)
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from vocspark import config as config_mod
from vocspark.args import setup_logging
from vocspark.deploy import aws, definitions, readiness, template


def build_zip() -> Path:
    """``dist/vocspark-<version>.zip`` of ``lib/vocspark``, as spark-submit.sh builds it."""
    import shutil

    from vocspark import __version__
    from vocspark.config import PROJECT_ROOT

    base = PROJECT_ROOT / "dist" / f"vocspark-{__version__}"
    base.parent.mkdir(exist_ok=True)
    return Path(shutil.make_archive(str(base), "zip", PROJECT_ROOT / "lib", "vocspark"))


def build_deps_zip(path: Path | None = None) -> Path:
    """``dist/vocspark-deps-<version>.zip``: the pure-Python packages of ``definitions.EMR_PY_FILES_MODULES``
    (their ``.py`` files, as installed here) for EMR's ``--py-files``. The installed version must be the pinned
    one, so the cluster runs what the tests ran."""
    import importlib.metadata
    import importlib.util
    import zipfile

    from vocspark import __version__
    from vocspark.config import PROJECT_ROOT

    out = path or PROJECT_ROOT / "dist" / f"vocspark-deps-{__version__}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for pin in definitions.EMR_PY_FILES_MODULES:
            name, _, version = pin.partition("==")
            installed = importlib.metadata.version(name)
            if installed != version:
                raise RuntimeError(f"{name} {installed} is installed, {version} is pinned: run `make install`")
            spec = importlib.util.find_spec(name)
            if spec is None or not spec.submodule_search_locations:
                raise RuntimeError(f"{name} is not an installed package")
            root = Path(next(iter(spec.submodule_search_locations)))
            for source in sorted(root.rglob("*.py")):
                zf.write(source, f"{name}/{source.relative_to(root).as_posix()}")
    return out


def _load(path: str, overrides: list[str]) -> config_mod.Config:
    return config_mod.load(Path(path), dict(config_mod.parse_override(o) for o in overrides), check_paths=False)


def job_config(job_args: list[str], default: str) -> tuple[str, list[str]]:
    """The ``--config`` and ``--set`` values among a job's arguments."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--config", default=default)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    known, _ = parser.parse_known_args(job_args)
    return known.config, known.overrides


def glue_arguments(job_args: list[str]) -> dict[str, str]:
    """A job's command-line arguments as Glue job-run arguments (``--key value``; a flag gets ``""``, which
    the job's parser ignores under Glue). Glue keeps one value per key: repeated ``--set`` overrides are joined
    with newlines (:func:`vocspark.args.parse` splits them again); any other repeated key is an error."""
    out: dict[str, str] = {}
    i = 0
    while i < len(job_args):
        key = job_args[i]
        if not key.startswith("--"):
            raise ValueError(f"Glue arguments must be --key value pairs, got {key!r}")
        value = job_args[i + 1] if i + 1 < len(job_args) and not job_args[i + 1].startswith("--") else ""
        if key == "--set" and key in out:
            out[key] += "\n" + value
        elif key in out:
            raise ValueError(f"Glue takes one value per argument: {key} is repeated")
        else:
            out[key] = value
        i += 2 if value != "" else 1
    return out


def submit(target: str, zip_path: Path, job: str, job_args: list[str], start: bool = True) -> dict:
    cfg_path, overrides = job_config(job_args, f"conf/{target}.yaml")
    cfg = _load(cfg_path, overrides)
    if cfg["profile"] != target:
        raise ValueError(f"{cfg_path}: profile is `{cfg['profile']}`, expected `{target}` for --target {target}")
    config_name = Path(cfg_path).name
    rest = [a for a in _without_config(job_args)]
    deps_zip = build_deps_zip() if target == "emr" else None  # Glue pip-installs them (--additional-python-modules)
    files = aws.artifact_files(zip_path, Path(cfg_path), job, glue=target == "glue", deps_zip=deps_zip)
    if target == "glue":
        files[f"conf/glue.yaml"] = Path(cfg_path)  # the jobs' --extra-files names conf/glue.yaml
    aws.upload(files, cfg["deploy"]["artifacts_uri"], cfg["deploy"]["region"])
    if target == "emr":
        step = aws.emr_step(cfg, job, rest, config_name)
        return {"step_id": aws.submit_emr_step(cfg, step), "step": step}
    done = aws.deploy_glue(cfg, job_names=[job], with_workflows=False)
    name = next(iter(done["jobs"]))
    out = {"job": name, "action": done["jobs"][name]}
    if start:
        glue = aws._client("glue", cfg["deploy"]["region"])
        out["job_run_id"] = glue.start_job_run(JobName=name, Arguments=glue_arguments(rest))["JobRunId"]
    return out


def _without_config(job_args: list[str]) -> list[str]:
    out, skip = [], False
    for i, arg in enumerate(job_args):
        if skip:
            skip = False
            continue
        if arg == "--config":
            skip = True
            continue
        if arg.startswith("--config="):
            continue
        out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    setup_logging(logging.INFO)
    parser = argparse.ArgumentParser(prog="python -m vocspark.deploy", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("template", "policy"):
        p = sub.add_parser(name)
        p.add_argument("--config", default="conf/glue.yaml")
        p.add_argument("--set", dest="overrides", action="append", default=[])
    for name in ("workflows", "upload"):
        p = sub.add_parser(name)
        p.add_argument("--config", default="conf/glue.yaml")
        p.add_argument("--set", dest="overrides", action="append", default=[])
        p.add_argument("--zip", type=Path, default=None, help="package zip (default: build dist/vocspark-<version>.zip)")
    p = sub.add_parser("submit")
    p.add_argument("--target", choices=("emr", "glue"), required=True)
    p.add_argument("--zip", type=Path, required=True)
    p.add_argument("--no-start", action="store_true", help="glue: create/update the job without starting a run")
    p.add_argument("job")
    p.add_argument("job_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "template":
        sys.stdout.write(template.to_json(_load(args.config, args.overrides)))
    elif args.command == "policy":
        print(json.dumps(definitions.iam_policy(with_secret=True), indent=2))
    elif args.command in ("workflows", "upload"):
        cfg = _load(args.config, args.overrides)
        if args.command == "workflows":  # nothing is uploaded when the scheduled models are not ready
            try:
                aws.check_scheduled_models(cfg, mapping_uri=aws.mapping_to_deploy(cfg))
            except readiness.DeployRefused as exc:
                print(f"python -m vocspark.deploy workflows: {exc}", file=sys.stderr)
                return 2
        files = aws.artifact_files(args.zip or build_zip(), Path(args.config), glue=True)
        files["conf/glue.yaml"] = Path(args.config)
        uploaded = aws.upload(files, cfg["deploy"]["artifacts_uri"], cfg["deploy"]["region"])
        print(json.dumps(aws.deploy_glue(cfg) if args.command == "workflows" else uploaded, indent=2))
    else:
        print(json.dumps(submit(args.target, args.zip, args.job, args.job_args, start=not args.no_start), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
