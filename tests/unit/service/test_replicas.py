"""The nginx configuration for several app processes: checked addresses, sticky routes, websockets."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from demo_models.service.cli import main
from demo_models.service.replicas import (
    ROUTE_COOKIE,
    ReplicaConfigError,
    ReplicaSetup,
    check_address,
    render_nginx_config,
    write_nginx_config,
)


def test_each_process_is_an_upstream_reached_by_the_route_cookie(tmp_path):
    text = render_nginx_config(ReplicaSetup("127.0.0.1:8080", ("127.0.0.1:8501", "10.0.0.2:8502"), tmp_path))
    assert "server 127.0.0.1:8501 max_fails=1 fail_timeout=10s;" in text
    assert "server 10.0.0.2:8502 max_fails=1 fail_timeout=10s;" in text
    assert "hash $route consistent;" in text
    assert f"map $cookie_{ROUTE_COOKIE} $route" in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "listen 127.0.0.1:8080;" in text
    assert "user " not in text.split("events")[0]


@pytest.mark.parametrize("address", ["", "8501", "host", "host:0", "host:70000", "a b:1", "x;evil:1", "h:1;"])
def test_an_address_that_is_not_host_and_port_is_refused(address):
    with pytest.raises(ReplicaConfigError, match="host:port"):
        check_address(address)


def test_no_process_or_a_bad_user_is_refused(tmp_path):
    with pytest.raises(ReplicaConfigError, match="at least one"):
        render_nginx_config(ReplicaSetup("127.0.0.1:8080", (), tmp_path))
    with pytest.raises(ReplicaConfigError, match="user name"):
        render_nginx_config(ReplicaSetup("127.0.0.1:8080", ("127.0.0.1:1",), tmp_path, user="root; evil"))


def test_the_command_writes_a_configuration_nginx_accepts(tmp_path, capsys):
    prefix = tmp_path / "nginx"
    assert main(["nginx", "--upstream", "127.0.0.1:8501", "--upstream", "127.0.0.1:8502", "--prefix", str(prefix)]) == 0
    assert "nginx -p" in capsys.readouterr().out
    assert (prefix / "nginx.conf").exists() and (prefix / "client_body").is_dir()
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        pytest.skip("no nginx to check the file with")
    checked = subprocess.run(
        [nginx, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_the_command_says_what_is_wrong_without_a_traceback(tmp_path, capsys):
    assert main(["nginx", "--upstream", "nowhere", "--prefix", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "No configuration written" in err and "Traceback" not in err
    assert not (tmp_path / "nginx.conf").exists()


def test_the_written_file_is_the_rendered_one(tmp_path):
    setup = ReplicaSetup("127.0.0.1:8080", ("127.0.0.1:8501",), tmp_path / "p")
    assert write_nginx_config(setup).read_text() == render_nginx_config(setup)
