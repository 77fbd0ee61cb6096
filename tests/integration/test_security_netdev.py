"""linux.netDevices: a host interface moved into the container's network
namespace (renamed, with its permanent global addresses, up).

runtime-spec: the runtime does not move it back; the namespace's owner does.
When the container's own namespace goes, the kernel returns physical
devices to the host and destroys virtual ones (the test ones are virtual);
in a namespace joined by path the device stays there."""

import subprocess

import pytest

ADDR = "192.0.2.55/32"          # TEST-NET-1, scope global
LINK_ADDR = "10.255.9.9/24"     # scope link: not carried over


def ip(*args, check=True):
    res = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and res.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)}: {res.stderr}")
    return res


@pytest.fixture
def hostdev(rt):
    """A virtual interface on the host: dummy when the kernel has it, else ifb."""
    name = f"pt{rt.token}"
    for kind in ("dummy", "ifb"):
        if ip("link", "add", name, "type", kind, check=False).returncode == 0:
            break
    else:
        pytest.skip("SKIPPED: cannot create a dummy or ifb interface on this host")
    try:
        ip("link", "set", name, "mtu", "1400")
        ip("addr", "add", ADDR, "dev", name)
        ip("addr", "add", LINK_ADDR, "scope", "link", "dev", name)
        yield name
    finally:
        ip("link", "del", name, check=False)


def test_moved_renamed_with_address_and_up(rt, hostdev):
    def tweak(b):
        b.linux["netDevices"] = {hostdev: {"name": "ctr0"}}
    out = rt.run_ok("ip addr show ctr0; ip link show", tweak=tweak)
    first = out.splitlines()[0]
    assert ",UP," in first or ",UP>" in first or "<UP" in first, first
    assert "mtu 1400" in first, "attributes are kept"
    assert f"inet {ADDR} scope global ctr0" in out
    assert LINK_ADDR.split("/")[0] not in out, "only global permanent addresses move with it"
    assert hostdev not in out
    # the container's own namespace is gone: a virtual device goes with it
    assert ip("link", "show", hostdev, check=False).returncode != 0


def test_kept_name(rt, hostdev):
    def tweak(b):
        b.linux["netDevices"] = {hostdev: {}}
    assert ADDR in rt.run_ok(f"ip addr show {hostdev}", tweak=tweak)


def test_stays_in_a_joined_namespace(rt, hostdev):
    ns, path = rt.make_netns()

    def tweak(b):
        b.add_ns("network", path)
        b.linux["netDevices"] = {hostdev: {"name": "ctr0"}}
    rt.run_ok("true", tweak=tweak)
    inside = ip("-n", ns, "addr", "show", "ctr0", check=False)
    assert inside.returncode == 0 and ADDR in inside.stdout, "the namespace's owner now has it"
    # hand it back to the host, as an orchestrator would
    ip("-n", ns, "link", "set", "ctr0", "netns", "1", "name", hostdev)
    assert ip("link", "show", hostdev, check=False).returncode == 0


def test_name_taken_in_the_namespace(rt, hostdev):
    ns, path = rt.make_netns()
    ip("-n", ns, "link", "add", "ctr0", "type", "ifb", check=False)
    if ip("-n", ns, "link", "show", "ctr0", check=False).returncode != 0:
        pytest.skip("SKIPPED: cannot create an ifb interface in a network namespace")

    def tweak(b):
        b.add_ns("network", path)
        b.linux["netDevices"] = {hostdev: {"name": "ctr0"}}
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0 and f"config.json: /linux/netDevices/{hostdev}" in res.err and "exists" in res.err
    rt.assert_nothing_left()
    assert ip("link", "show", hostdev, check=False).returncode == 0, "a refused move leaves the device"


def test_name_template(rt, hostdev):
    def tweak(b):
        b.linux["netDevices"] = {hostdev: {"name": "ctr%d"}}
    assert ADDR in rt.run_ok("ip addr show ctr0", tweak=tweak)


def test_missing_device_fails_and_leaves_nothing(rt):
    def tweak(b):
        b.linux["netDevices"] = {"ptnosuchdev": {}}
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0
    assert "config.json: /linux/netDevices/ptnosuchdev: network device `ptnosuchdev`: No such device" in res.err
    rt.assert_nothing_left()


def test_needs_a_network_namespace(rt, hostdev):
    def tweak(b):
        b.remove_ns("network")
        b.linux["netDevices"] = {hostdev: {}}
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0 and "/linux/netDevices: moving network devices needs a network namespace" in res.err


def test_bad_names(rt):
    def tweak(b):
        b.linux["netDevices"] = {"eth0": {"name": "a/b"}}
    res = rt.run_script("true", tweak=tweak)
    assert res.rc != 0 and 'config.json: /linux/netDevices/eth0/name: "a/b" is not a network interface name' in res.err
