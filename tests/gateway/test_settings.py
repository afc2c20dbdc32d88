from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.settings import Secret, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_match_the_documented_file() -> None:
    documented = load_settings(ROOT / "config" / "portway.toml", environ={})
    assert documented.describe() == Settings().describe()


def test_every_key_is_documented_in_the_file() -> None:
    text = (ROOT / "config" / "portway.toml").read_text()
    for section, keys in Settings().describe().items():
        assert f"[{section}]" in text
        for key in keys:
            assert f"\n{key} = " in text, f"{section}.{key} is not documented"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    config = tmp_path / "p.toml"
    config.write_text('[database]\nurl = "sqlite:///a.db"\n[server]\nport = 9000\n')
    settings = load_settings(config, environ={
        "PORTWAY_DATABASE_URL": "postgresql://db/x",
        "PORTWAY_EGRESS_ALLOW": "127.0.0.1/32, 10.0.0.0/8",
        "PORTWAY_LOG_ACCESS_LOG": "yes",
    })
    assert settings.database.url == "postgresql://db/x"
    assert settings.server.port == 9000
    assert settings.egress.allow == ("127.0.0.1/32", "10.0.0.0/8")
    assert settings.log.access_log is True


@pytest.mark.parametrize("text, named", [
    ("[database]\nurll = 'x'\n", "database.urll"),
    ("[nosuch]\nx = 1\n", "nosuch"),
    ("[server]\nport = 'eighty'\n", "server.port"),
    ("[log]\nformat = 'xml'\n", "log.format"),
    ("[server]\nmax_connections = -1\n", "server.max_connections"),
    ("[runtime]\nsql_revet_seconds = 0\n", "runtime.sql_revet_seconds"),
])
def test_bad_keys_and_values_are_errors_that_name_them(tmp_path: Path, text: str,
                                                       named: str) -> None:
    config = tmp_path / "p.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert named in caught.value.message


def test_unknown_environment_variable_is_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, environ={"PORTWAY_DATABASE_URI": "x"})
    assert "PORTWAY_DATABASE_URI" in caught.value.message


def test_malformed_toml_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "p.toml"
    config.write_text("[database\nurl=")
    with pytest.raises(ConfigError):
        load_settings(config, environ={})


def test_secrets_are_masked_when_printed() -> None:
    settings = load_settings(None, environ={"PORTWAY_SECURITY_MASTER_KEY": "c2VjcmV0LXZhbHVl"})
    shown = repr(settings) + str(settings.describe())
    assert "c2VjcmV0LXZhbHVl" not in shown
    assert settings.security.master_key.reveal() == "c2VjcmV0LXZhbHVl"
    assert str(Secret("abc")) == "Secret('**********')"
