"""The Raspberry Pi guide and the emulated check that follows it (scripts/aarch64).

The check itself runs in CI (`make aarch64-check`: root, debootstrap, qemu, minutes); these
tests pin what it reads from docs/raspberry-pi.md and how it starts aarch64 programs.
"""

import re
import sys

import pytest

from conftest_edge import REPO

sys.path.insert(0, str(REPO / "scripts" / "aarch64"))
import guide  # noqa: E402
import pi_binfmt  # noqa: E402
import pi_install  # noqa: E402

GUIDE_TEXT = (REPO / "docs" / "raspberry-pi.md").read_text()
PYPROJECT = (REPO / "pyproject.toml").read_text()  # read with re: tomllib needs Python 3.11


def project_version():
    return re.search(r'^version = "([^"]+)"', PYPROJECT, re.M).group(1)


def defined_extras():
    section = PYPROJECT.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([A-Za-z0-9_-]+) = \[", section, re.M))


def pip_installs(recipe):
    return [words[2:] for words in recipe.commands if words[0].endswith("/bin/pip") and words[1] == "install"]


def test_each_release_installs_the_built_wheel_and_only_bookworm_pins_numpy():
    trixie, bookworm = guide.read_recipe("trixie"), guide.read_recipe("bookworm")
    wheel = f"./mnist_edge-{project_version()}-py3-none-any.whl[edge,web]"  # the file `pip wheel .` writes
    assert pip_installs(trixie) == [[wheel]]
    assert pip_installs(bookworm) == [[wheel, "numpy<2"], ["tflite-runtime==2.14.*", "numpy<2"]]
    for recipe in (trixie, bookworm):
        assert recipe.apt_packages == ["python3-venv", "python3-picamera2"]
        assert ["python3", "-m", "venv", "--system-site-packages", "~/mnist-edge-venv"] in recipe.commands
        assert ["mnist-edge", "--help"] in recipe.commands


def test_the_check_installs_every_extra_the_guide_names_and_they_exist():
    extras = re.search(r'^EXTRAS="([^"]*)"', (REPO / "scripts/aarch64/check.sh").read_text(), re.M).group(1)
    defined = defined_extras()
    for release in ("trixie", "bookworm"):
        for words in pip_installs(guide.read_recipe(release)):
            for word in words:
                if pi_install.MNIST_EDGE.match(word):
                    named = set(pi_install.MNIST_EDGE.match(word).group(2).split(","))
                    assert named <= set(extras.split(",")) <= set(defined), (named, extras)


def test_install_words_swap_in_the_checks_extras_and_refuse_a_guide_that_names_more(tmp_path):
    wheel = tmp_path / "mnist_edge-0.1.0-py3-none-any.whl"
    words = ["install", "./mnist_edge-0.1.0-py3-none-any.whl[edge]", "numpy<2"]
    assert pi_install.install_words(words, wheel, "edge,web", ["paho-mqtt"]) == [
        "install", "./mnist_edge-0.1.0-py3-none-any.whl[edge,web]", "paho-mqtt", "numpy<2"]
    with pytest.raises(guide.GuideError, match=r"\['web'\] that EXTRAS=edge lacks"):
        pi_install.install_words(["install", "mnist-edge[edge,web]"], wheel, "edge", [])


def test_packages_only_raspberry_pi_has_become_their_debian_stand_ins():
    trixie = guide.read_recipe("trixie").debian_packages()
    bookworm = guide.read_recipe("bookworm").debian_packages()
    assert "python3-picamera2" not in trixie + bookworm
    assert {"python3", "python3-venv", "python3-numpy", "python3-pil"} <= set(trixie) & set(bookworm)
    assert "python3-libcamera" in trixie and "python3-libcamera" not in bookworm  # Debian 12 has none


def test_a_guide_line_the_check_cannot_follow_is_an_error():
    text = "<!-- pi-guide trixie -->\n```bash\nsudo apt update && sudo apt install -y python3-venv\n" \
           "curl https://example.invalid/install.sh | sh\n```\n"
    with pytest.raises(guide.GuideError, match="does not know how to follow 'curl"):
        guide.read_recipe("trixie", text)
    with pytest.raises(guide.GuideError, match="no install block for bookworm"):
        guide.read_recipe("bookworm", text.replace("curl https://example.invalid/install.sh | sh\n", ""))
    with pytest.raises(guide.GuideError, match="must be followed by a fenced block"):
        guide.read_recipe("trixie", "<!-- pi-guide trixie -->\nsome prose\n")


def test_readme_keeps_no_copy_of_the_pi_guide():
    readme = (REPO / "README.md").read_text()
    assert "(docs/raspberry-pi.md)" in readme
    for line in ("sudo apt install", "python3 -m venv", "mnist-edge-camera.service", "issues 1088 and 1211"):
        assert line in GUIDE_TEXT and line not in readme, line


def write_elf(path, machine):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(11) + machine.to_bytes(2, "little") + bytes(40))
    path.chmod(0o755)


def test_binfmt_puts_qemu_before_aarch64_programs_and_their_scripts(tmp_path):
    write_elf(tmp_path / "usr/bin/python3.13", pi_binfmt.EM_AARCH64)
    (tmp_path / "usr/bin/python3").symlink_to("python3.13")
    write_elf(tmp_path / "usr/bin/x86-tool", 62)  # EM_X86_64
    pip = tmp_path / "home/pi/venv/bin/pip"
    pip.parent.mkdir(parents=True)
    pip.write_text("#!/usr/bin/python3\nimport pip\n")
    pip.chmod(0o755)
    root, path = str(tmp_path), "/home/pi/venv/bin:/usr/bin"
    assert pi_binfmt.emulated_command(["python3", "-m", "venv", "v"], root, path) == [
        pi_binfmt.QEMU, "/usr/bin/python3", "-m", "venv", "v"]
    assert pi_binfmt.emulated_command(["pip", "install", "x"], root, path) == [
        pi_binfmt.QEMU, "/usr/bin/python3", "/home/pi/venv/bin/pip", "install", "x"]
    assert pi_binfmt.emulated_command(["/usr/bin/x86-tool"], root, path) is None
    with pytest.raises(FileNotFoundError, match="nothing-here: not found on PATH"):
        pi_binfmt.emulated_command(["nothing-here"], root, path)
    # The venv's python3 links to /usr/bin/python3: followed inside the root, not on this host.
    (tmp_path / "home/pi/venv/bin/python3").symlink_to("/usr/bin/python3")
    pip.write_text("#!/home/pi/venv/bin/python3\nimport pip\n")
    assert pi_binfmt.emulated_command(["pip"], root, path) == [
        pi_binfmt.QEMU, "/home/pi/venv/bin/python3", "/home/pi/venv/bin/pip"]
