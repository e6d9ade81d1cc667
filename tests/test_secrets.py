"""One redaction function for every JDBC/ODBC password form: config refuses such a URL naming the key, redact()
removes the password, manifests never hold it."""
import json

import pytest

from vocspark import config, io, secrets, warehouse

PASSWORD = "Wh-s3cr3t-Pa55-7f1c"
FORMS = {
    "query password": f"jdbc:postgresql://db:5432/voc?password={PASSWORD}",
    "query Password after &": f"jdbc:postgresql://db:5432/voc?user=voc&Password={PASSWORD}&ssl=true",
    "query PASSWORD": f"jdbc:postgresql://db/voc?PASSWORD={PASSWORD}",
    "pgjdbc pwd": f"jdbc:postgresql://db/voc?pwd={PASSWORD}",
    "redshift ;PWD=": f"jdbc:redshift://cluster:5439/dev;UID=voc;PWD={PASSWORD};ssl=true",
    "odbc braced": f"jdbc:odbc:Driver=Redshift;Server=h;Pwd={{{PASSWORD};x}};UID=voc",
    "user-info": f"jdbc:postgresql://voc:{PASSWORD}@db:5432/voc",
    "user-info with @": f"jdbc:redshift://voc:p@{PASSWORD}@cluster:5439/dev",
    "db_password": f"jdbc:postgresql://db/voc?db_password={PASSWORD}",
}


@pytest.mark.parametrize("url", FORMS.values(), ids=FORMS.keys())
def test_redact_removes_the_password_and_keeps_the_rest(url):
    out = secrets.redact(url)
    assert PASSWORD not in out and "***" in out
    assert out[:14] == url[:14] and len(out) < len(url)  # the rest of the URL stays readable
    assert secrets.has_password(url)
    assert warehouse.redact(url, []) == out  # the warehouse uses the same function


@pytest.mark.parametrize("url", FORMS.values(), ids=FORMS.keys())
def test_config_refuses_a_url_with_a_password_naming_the_key(url, tmp_path):
    with pytest.raises(config.ConfigError, match=r"`warehouse\.url` must be a jdbc: URL without a password") as err:
        config.resolve({"profile": "local", "base_uri": str(tmp_path), "sources": {}, "warehouse": {"url": url}},
                       root=tmp_path)
    assert PASSWORD not in str(err.value)


def test_urls_without_a_password_pass_and_are_unchanged(tmp_path):
    for url in ("jdbc:postgresql://db:5432/voc?ssl=true&user=voc", "jdbc:redshift://c:5439/dev;UID=voc;ssl=1",
                "jdbc:postgresql://db/voc?passwordless=1"):
        assert not secrets.has_password(url) and secrets.redact(url) == url
        cfg = config.resolve({"profile": "local", "base_uri": str(tmp_path), "sources": {}, "warehouse": {"url": url}},
                             root=tmp_path)
        assert cfg.typed.warehouse.url == url


def test_known_secrets_and_free_text_forms():
    text = f"FATAL: login user=voc password={PASSWORD}; also '{PASSWORD}' and Password: hunter2 pwd=x1, " \
           f'{{"password": "{PASSWORD}"}}'
    out = secrets.redact(text, [PASSWORD, None, ""])
    assert PASSWORD not in out and "hunter2" not in out and "x1" not in out
    assert out.startswith("FATAL: login user=voc password=***")
    assert secrets.redact("pwdHash=1 plain text", []) == "pwdHash=1 plain text"


def test_manifest_args_inputs_and_extra_are_redacted(tmp_path):
    manifest = io.Manifest("load_warehouse", "r1", args={"url": FORMS["redshift ;PWD="], "months": ["2021-01"], "n": 3},
                           inputs={"warehouse": FORMS["user-info"]})
    manifest.extra["error"] = f"cannot connect to {FORMS['pgjdbc pwd']}"
    written = json.dumps(manifest.to_dict())
    assert PASSWORD not in written
    data = json.loads(written)
    assert data["args"]["months"] == ["2021-01"] and data["args"]["n"] == 3
    assert data["inputs"]["warehouse"] == "jdbc:postgresql://voc:***@db:5432/voc"
    assert manifest.args["url"] == FORMS["redshift ;PWD="]  # redacted when written, not in the run's own options
