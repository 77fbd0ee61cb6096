"""exec with a terminal handed over --console-socket: the test plays the
receiving side (as containerd's shim and conmon do), reads and writes the
container's terminal and sets its size through the master it got."""

import fcntl
import json
import struct
import termios

import pytest

from console_socket import ConsoleReceiver

EXEC_FAILED = 255


@pytest.fixture
def console(rt):
    rec = ConsoleReceiver(rt.tmp("console.sock"))
    yield rec
    rec.close()


def running(rt):
    b = rt.bundle(args=("sleep", "1000"))
    rt.start_detached(b)
    return b


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def test_exec_tty_through_console_socket(rt, console):
    b = running(rt)
    rt.cli("exec", "--tty", "--detach", "--console-socket", console.path, b.cid,
           "sh", "-c", "tty; echo ready; read line; echo \"got:$line\"; sleep 1000").ok()
    out = console.read_until("ready")
    assert "/dev/pts/" in out and "not a tty" not in out
    console.write("typed-text\n")
    assert "got:typed-text" in console.read_until("got:typed-text")


def test_exec_tty_size_follows_the_receiver(rt, console):
    b = running(rt)
    rt.cli("exec", "-t", "-d", "--console-socket", console.path, b.cid,
           "sh", "-c", "echo ready; read a; echo size=$(stty size); read b; echo size=$(stty size); sleep 1000").ok()
    console.read_until("ready")
    set_size(console.master, 20, 70)
    console.write("\n")
    assert "size=20 70" in console.read_until("size=20 70")
    set_size(console.master, 33, 120)
    console.write("\n")
    assert "size=33 120" in console.read_until("size=33 120")


def test_exec_process_json_terminal_as_conmon_calls_it(rt, console):
    # conmon: exec --pid-file F --process P --detach --tty --console-socket S ID
    b = running(rt)
    proc = rt.tmp("process.json")
    proc.write_text(json.dumps({
        "terminal": True, "consoleSize": {"height": 25, "width": 90},
        "args": ["sh", "-c", "echo size=$(stty size); echo pid=$$; sleep 1000"],
        "env": ["PATH=/bin", "TERM=xterm"], "cwd": "/", "user": {"uid": 0, "gid": 0},
    }))
    pid_file = rt.tmp("exec.pid")
    rt.cli("exec", "--pid-file", pid_file, "--process", proc, "--detach", "--tty",
           "--console-socket", console.path, b.cid).ok()
    out = console.read_until("pid=")
    assert "size=25 90" in out
    assert int(pid_file.read_text()) > 0


def test_exec_tty_owned_by_the_user(rt, console):
    b = running(rt)
    rt.cli("exec", "-t", "-d", "-u", "1000:1000", "--console-socket", console.path, b.cid,
           "sh", "-c", "stat -c owner=%u $(tty); sleep 1000").ok()
    assert "owner=1000" in console.read_until("owner=")


def test_exec_detached_tty_needs_console_socket(rt):
    b = running(rt)
    res = rt.cli("exec", "-t", "-d", b.cid, "true")
    assert res.rc == EXEC_FAILED and "console" in res.err.lower(), res


def test_exec_console_socket_without_tty_fails(rt, console):
    b = running(rt)
    res = rt.cli("exec", "-d", "--console-socket", console.path, b.cid, "true")
    assert res.rc == EXEC_FAILED and "console" in res.err.lower(), res


def test_exec_foreground_tty_with_console_socket(rt, console):
    """pith-specific (runc refuses a console socket unless detached): pith
    hands the terminal over and still waits for the process."""
    b = running(rt)
    sp = rt.spawn("exec", "-t", "--console-socket", console.path, b.cid, "sh", "-c", "echo hi-there; exit 4")
    assert "hi-there" in console.read_until("hi-there")
    assert sp.wait(10).rc == 4
