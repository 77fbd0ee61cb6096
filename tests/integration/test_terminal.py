"""process.terminal: the pty master over --console-socket, /dev/console,
consoleSize, input through the terminal."""

import pytest

from console_socket import ConsoleReceiver


@pytest.fixture
def console(rt):
    rec = ConsoleReceiver(rt.tmp("console.sock"))
    yield rec
    rec.close()


def tty_bundle(rt, script, size=None):
    b = rt.bundle(script=script, write=False)
    b.process["terminal"] = True
    if size:
        b.process["consoleSize"] = {"height": size[0], "width": size[1]}
    b.write()
    return b


def create_with_console(rt, b, console, *flags):
    rt.create(b, "--console-socket", console.path, *flags)
    console.wait_master()


def test_console_socket_receives_pty_master(rt, console):
    b = tty_bundle(rt, "echo hello-from-tty; tty; sleep 1000")
    create_with_console(rt, b, console)
    rt.start(b.cid)
    out = console.read_until("hello-from-tty\r\n")     # a tty turns \n into \r\n
    out = console.read_until("/dev/", timeout=5)
    assert "hello-from-tty" in out and "not a tty" not in out


def test_dev_console_exists(rt, console):
    b = tty_bundle(rt, "[ -c /dev/console ] && echo console-is-chardev; "
                       "stat -L -c 'console %t' /dev/console; echo end-marker; sleep 1000")
    create_with_console(rt, b, console)
    rt.start(b.cid)
    out = console.read_until("end-marker")
    assert "console-is-chardev" in out
    # /dev/console is the pty slave (major 136 = 0x88), not the host console
    assert "console 88" in out


def test_console_size_applied(rt, console):
    b = tty_bundle(rt, "echo size=$(stty size); echo end-marker; sleep 1000", size=(37, 101))
    create_with_console(rt, b, console)
    rt.start(b.cid)
    out = console.read_until("end-marker")
    assert "size=37 101" in out


def test_input_through_terminal(rt, console):
    b = tty_bundle(rt, "echo ready; read line; echo \"got:$line\"; sleep 1000")
    create_with_console(rt, b, console)
    rt.start(b.cid)
    console.read_until("ready")
    console.write("typed-text\n")
    assert "got:typed-text" in console.read_until("got:typed-text")


def test_run_detach_with_console_socket(rt, console):
    b = tty_bundle(rt, "echo detached-tty-ok; sleep 1000")
    rt.run(b, "--detach", "--console-socket", console.path).ok()
    assert "detached-tty-ok" in console.read_until("detached-tty-ok")
    assert rt.status(b.cid) == "running"


def test_terminal_requires_console_socket(rt):
    b = tty_bundle(rt, "echo never")
    rt.register_id(b.cid)
    res = rt.cli("create", "--bundle", b.path, b.cid).failed()
    assert "console" in res.err.lower()
    assert not list(rt.root.iterdir())
    rt.assert_nothing_left("after create without --console-socket")


def test_terminal_container_full_lifecycle(rt, console):
    b = tty_bundle(rt, "exit 0")
    rt.create(b, "--console-socket", console.path)
    rt.start(b.cid)
    rt.wait_status(b.cid, "stopped")
    rt.delete(b.cid)
    rt.assert_nothing_left()
