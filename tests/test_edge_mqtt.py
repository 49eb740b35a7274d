"""edge_runtime.mqtt against a real mosquitto broker that each test starts on 127.0.0.1.

The camera loop runs on generated videos whose digits change (see test_edge_camera.py), so
every reading on the broker is checked against the exact number in the video.
"""

import getpass
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest_edge import INT8_MODEL, REPO, load_model, mnist_test_arrays
from prerequisites import missing, require_module
from edge_runtime import camera, cli, mqtt, sources, synthetic
from edge_runtime import video as video_module

require_module("paho", "the web extra: pip install 'mnist-edge[web]'")
from paho.mqtt import client as paho  # noqa: E402  (after the check, which skips or fails clearly)

FRAMES_PER_PHOTO = 12
TOPIC = "mnist-edge/test-camera"
HANG_GUARD_SECONDS = 30  # only against a hang; nothing here is asserted on speed


def mosquitto_path():
    """Debian installs the broker in /usr/sbin, which is not on a normal user's PATH."""
    path = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if path is None:
        missing("mosquitto not found (apt-get install mosquitto; `make test-data` does it)")
    return path


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def waited_for(condition):
    """True once condition() holds, False if it still does not after HANG_GUARD_SECONDS."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def wait_until(condition, what):
    if not waited_for(condition):
        raise AssertionError(f"gave up waiting for {what}")


class Broker:
    """A mosquitto process of our own: anonymous, no persistence, stoppable and restartable on its port."""

    def __init__(self, folder, settings=""):
        self.port, self.folder, self.process = free_port(), folder, None
        self.config = folder / "mosquitto.conf"
        # `user`: as root mosquitto would otherwise switch to the user "mosquitto", who cannot
        # read pytest's private temporary folders.
        self.config.write_text(f"user {getpass.getuser()}\npersistence false\nlog_dest stderr\n"
                               f"listener {self.port} 127.0.0.1\n{settings or 'allow_anonymous true'}\n")

    def start(self):
        self.log = open(self.folder / "mosquitto.log", "ab")
        self.process = subprocess.Popen([mosquitto_path(), "-c", str(self.config)], stdout=self.log, stderr=self.log)
        wait_until(self.accepting, f"mosquitto on port {self.port}")
        return self

    def accepting(self):
        if self.process.poll() is not None:
            raise AssertionError(f"mosquitto exited: {(self.folder / 'mosquitto.log').read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(HANG_GUARD_SECONDS)
        self.log.close()


@pytest.fixture
def broker(tmp_path):
    broker = Broker(tmp_path).start()
    yield broker
    broker.stop()


class Subscriber:
    """A paho client that records every message under '#', resubscribing after each reconnect."""

    def __init__(self, port, tls_ca=None, credentials=None):
        self.messages, self.lock = [], threading.Lock()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2)
        if tls_ca:
            self.client.tls_set(ca_certs=str(tls_ca))
        if credentials:
            self.client.username_pw_set(*credentials)
        self.client.on_connect = lambda client, *_: client.subscribe("#", qos=1)
        self.client.on_subscribe = lambda *_: setattr(self, "subscribed", True)
        self.client.on_message = self.record
        self.client.reconnect_delay_set(1, 1)
        self.subscribed = False
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        wait_until(lambda: self.subscribed, "the test subscriber's subscription")

    def record(self, client, userdata, message):
        with self.lock:
            self.messages.append((message.topic, message.payload.decode(), message.retain))

    def payloads(self, topic):
        with self.lock:
            return [payload for name, payload, _ in self.messages if name == topic]

    def retained(self):
        with self.lock:
            return {name: payload for name, payload, retain in self.messages if retain}

    def numbers(self, topic=TOPIC):
        return [json.loads(payload)["number"] for payload in self.payloads(f"{topic}/state")]

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def make_video(folder, photos, frames_per_photo):
    path = folder / "digits.avi"
    video_module.write_video(path, [photo.image for photo in photos for _ in range(frames_per_photo)], fps=15)
    return path, ["".join(map(str, photo.labels)) for photo in photos]


@pytest.fixture(scope="module")
def photos():
    images, labels = mnist_test_arrays()
    return synthetic.make_photo_set(images[:60], labels[:60], 4, seed=3,
                                    options=synthetic.PhotoOptions(digits=(3, 4), row_band=0.3))


@pytest.fixture(scope="module")
def long_video(photos, tmp_path_factory):
    """One number for 400 frames: far longer than the signal tests need the camera to run."""
    return make_video(tmp_path_factory.mktemp("long"), photos[:1], 400)


def start_connected(settings, logs):
    publisher = mqtt.MqttPublisher(settings, log=logs.append).start()
    wait_until(lambda: publisher.connected, f"the publisher's connection ({logs})")
    return publisher


def run_loop(capture, path, listener, **options):
    output = io.StringIO()
    summary = camera.run_camera(load_model(INT8_MODEL), capture, path, camera.CameraOptions(headless=True, **options),
                                output=output, listeners=[listener])
    return summary, output.getvalue()


def test_each_changed_reading_is_published_once_retained_with_home_assistant_discovery(broker, photos, tmp_path):
    path, numbers = make_video(tmp_path, photos[:2], FRAMES_PER_PHOTO)
    subscriber, logs = Subscriber(broker.port), []
    publisher = start_connected(mqtt.MqttSettings("127.0.0.1", broker.port, TOPIC), logs)
    summary, printed = run_loop(sources.open_capture(str(path)), path, publisher, json=True)
    wait_until(lambda: subscriber.payloads(f"{TOPIC}/availability")[-1:] == ["offline"], "the clean 'offline'")
    subscriber.close()

    assert summary.frames == 2 * FRAMES_PER_PHOTO
    records = [json.loads(line) for line in printed.splitlines()]
    # One message per change, each exactly the `--json` line of the frame where it changed.
    states = [json.loads(payload) for payload in subscriber.payloads(f"{TOPIC}/state")]
    assert [state["number"] for state in states] == numbers
    assert states == [records[0], records[FRAMES_PER_PHOTO]]
    assert subscriber.payloads(f"{TOPIC}/availability") == ["online", "offline"]
    assert logs == [f"connected to 127.0.0.1:{broker.port}, publishing to {TOPIC}/state"]

    config_topic = "homeassistant/sensor/mnist-edge_test-camera/reading/config"
    (config,) = map(json.loads, subscriber.payloads(config_topic))
    assert {key: config[key] for key in ("state_topic", "json_attributes_topic", "availability_topic",
                                         "value_template", "unique_id", "payload_available",
                                         "payload_not_available")} == {
        "state_topic": f"{TOPIC}/state", "json_attributes_topic": f"{TOPIC}/state",
        "availability_topic": f"{TOPIC}/availability", "value_template": "{{ value_json.number }}",
        "unique_id": "mnist-edge_test-camera_reading", "payload_available": "online",
        "payload_not_available": "offline"}
    assert config["device"]["identifiers"] == ["mnist-edge_test-camera"]
    assert config["device"]["name"] == "mnist-edge test-camera"

    # A subscriber arriving later (Home Assistant restarting) gets the last reading, the
    # discovery config and the availability from the broker's retained messages.
    late = Subscriber(broker.port)
    wait_until(lambda: len(late.retained()) == 3, "the retained messages")
    late.close()
    assert json.loads(late.retained()[f"{TOPIC}/state"]) == records[FRAMES_PER_PHOTO]
    assert late.retained()[f"{TOPIC}/availability"] == "offline"
    assert json.loads(late.retained()[config_topic]) == config


def camera_command(path, port, *options):
    return [sys.executable, "-m", "edge_runtime", "camera", "--source", str(path), "--headless",
            "--mqtt", f"127.0.0.1:{port}", "--mqtt-topic", TOPIC, *options]


def heeding_ctrl_c(command):
    """The command run by a Python that turns SIGINT into KeyboardInterrupt whatever it
    inherited: a shell's background job (`pytest ... &`) ignores SIGINT, its children inherit
    that, and Python then leaves it ignored (the camera read to the end of its video and the
    test failed). Set in the child's own Python, not in a preexec_fn, which is unsafe while
    the subscriber's thread runs."""
    python, _, module, *arguments = command
    start = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
             f"sys.argv = [{module!r}] + sys.argv[1:]; runpy.run_module({module!r}, run_name='__main__')")
    return [python, "-c", start, *arguments]


@pytest.mark.parametrize("stop_signal, status, summary", [
    (signal.SIGKILL, -signal.SIGKILL, None),                   # the broker sends the last will
    (signal.SIGINT, 0, "stopped: interrupted"),               # Ctrl-C or systemd stop: a clean 'offline'
])
def test_a_killed_or_interrupted_camera_is_marked_offline(stop_signal, status, summary, broker, long_video):
    path, numbers = long_video
    subscriber = Subscriber(broker.port)
    process = subprocess.Popen(heeding_ctrl_c(camera_command(path, broker.port)), cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        wait_until(lambda: subscriber.numbers() or process.poll() is not None, "the first reading")
        assert process.poll() is None, "the camera ended before the signal"
        process.send_signal(stop_signal)
        stderr = process.communicate(timeout=HANG_GUARD_SECONDS)[1].decode()
    finally:
        process.kill()
    assert process.returncode == status
    # Killed, it never reaches its clean end and summary; interrupted, it does.
    assert (summary in stderr) if summary else ("frames in" not in stderr), stderr
    wait_until(lambda: subscriber.payloads(f"{TOPIC}/availability")[-1:] == ["offline"], "'offline'")
    subscriber.close()
    assert subscriber.numbers() == numbers
    assert subscriber.payloads(f"{TOPIC}/availability") == ["online", "offline"]
    late = Subscriber(broker.port)
    wait_until(lambda: f"{TOPIC}/availability" in late.retained(), "the retained 'offline'")
    late.close()
    assert late.retained()[f"{TOPIC}/availability"] == "offline"


class GatedCapture:
    """A real video capture that runs test actions before given frames (test control, not the loop)."""

    def __init__(self, capture, actions):
        self.capture, self.actions, self.count = capture, actions, 0

    def read(self):
        if self.count in self.actions:
            self.actions[self.count]()
        self.count += 1
        return self.capture.read()

    def release(self):
        self.capture.release()


class TimedListener:
    """Wraps a listener; records when each on_frame call started and how long it took."""

    def __init__(self, listener):
        self.listener, self.calls = listener, []

    def on_frame(self, event):
        started = time.perf_counter()
        self.listener.on_frame(event)
        self.calls.append((started, time.perf_counter() - started))

    def close(self):
        self.listener.close()


def test_readings_resume_after_a_broker_restart_and_the_loop_never_waits_for_it(broker, photos, tmp_path):
    """Frames 12-35 run with the broker down: readings 2 and 3 change meanwhile; only the newest
    (3) is published when the broker is back, then reading 4 as usual.

    The broker is restarted by a watchdog once the loop has handed frame 35 to the publisher,
    or after the hang guard if the loop got stuck waiting for the broker.
    """
    path, numbers = make_video(tmp_path, photos, FRAMES_PER_PHOTO)
    subscriber, logs = Subscriber(broker.port), []
    publisher = start_connected(mqtt.MqttSettings("127.0.0.1", broker.port, TOPIC), logs)
    timed, processed_while_down = TimedListener(publisher), []

    def restart_when_the_outage_frames_are_done():
        waited_for(lambda: len(timed.calls) >= 36)
        processed_while_down.append(len(timed.calls) - 12)
        broker.start()

    watchdog = threading.Thread(target=restart_when_the_outage_frames_are_done)

    def stop_broker():
        # The first reading is sent from paho's own thread: on a busy machine it may not have
        # left by frame 12, and stopping the broker then would make it a superseded one.
        wait_until(lambda: subscriber.numbers() == [numbers[0]], "the first reading before the outage")
        broker.stop()
        wait_until(lambda: not publisher.connected, "the publisher to notice the broker is gone")
        watchdog.start()

    def wait_for_the_restart():
        watchdog.join()
        wait_until(lambda: subscriber.numbers()[-1:] == [numbers[2]], "the newest reading after the restart")

    capture = GatedCapture(sources.open_capture(str(path)), {12: stop_broker, 36: wait_for_the_restart})
    summary, _ = run_loop(capture, path, timed)
    wait_until(lambda: subscriber.payloads(f"{TOPIC}/availability")[-1:] == ["offline"], "the clean 'offline'")
    subscriber.close()

    assert processed_while_down == [24]  # the loop went on through the outage
    assert summary.frames == 4 * FRAMES_PER_PHOTO
    assert subscriber.numbers() == [numbers[0], numbers[2], numbers[3]]  # the superseded one never sent
    # A broker shutting down sends the wills of its clients: this subscriber may or may not
    # have been there to hear 'offline' between the two 'online's.
    availability = subscriber.payloads(f"{TOPIC}/availability")
    assert availability in (["online", "online", "offline"], ["online", "offline", "online", "offline"])
    assert len(subscriber.payloads("homeassistant/sensor/mnist-edge_test-camera/reading/config")) == 2
    assert [line.split(" (")[0] for line in logs if not line.startswith("cannot connect")] == [
        f"connected to 127.0.0.1:{broker.port}, publishing to {TOPIC}/state",
        f"lost the connection to 127.0.0.1:{broker.port}",
        f"connected to 127.0.0.1:{broker.port}, publishing to {TOPIC}/state"]
    # While the broker was down the publisher took a negligible share of the loop's time:
    # on_frame never waits on the network (a ratio of two times measured together, not a limit).
    outage = timed.calls[12:36]
    loop_seconds = outage[-1][0] + outage[-1][1] - outage[0][0]
    assert sum(seconds for _, seconds in outage) < 0.05 * loop_seconds, (outage, loop_seconds)


def changed_reading(index, number):
    """A FrameEvent without a model: only the record matters to the publisher."""
    record = {"source": "x", "frame": index, "digits": [], "number": number, "lines": [number]}
    return camera.FrameEvent(index, record, None, [], {})


def test_a_broker_that_stops_reading_does_not_make_the_publisher_queue_readings(broker, tmp_path):
    """SIGSTOP: the connection stays up but the broker reads nothing. 2,000 changed readings of
    16 kB (more than the sockets buffer) are offered; at most MAX_UNSENT ever wait in paho, and
    the newest still arrives when the broker resumes."""
    backlog = []
    publisher = start_connected(mqtt.MqttSettings("127.0.0.1", broker.port, TOPIC), [])
    broker.process.send_signal(signal.SIGSTOP)
    try:
        for index in range(2000):
            publisher.on_frame(changed_reading(index, f"{index:08000d}"))
            backlog.append(publisher.backlog)
    finally:
        broker.process.send_signal(signal.SIGCONT)
    assert max(backlog) == mqtt.MAX_UNSENT  # the stall was real, and the cap held
    subscriber = Subscriber(broker.port)
    wait_until(lambda: subscriber.numbers()[-1:] == [f"{1999:08000d}"], "the newest reading")
    subscriber.close()
    publisher.close()
    assert len(subscriber.numbers()) < 2000


def test_a_broker_that_crashes_and_restarts_empty_gets_the_reading_again(broker, tmp_path):
    """SIGKILL, and no persistence: the broker forgets the retained reading it had. The publisher
    sends it again on reconnecting, though the camera's reading has not changed since."""
    publisher = start_connected(mqtt.MqttSettings("127.0.0.1", broker.port, TOPIC), [])
    subscriber = Subscriber(broker.port)
    publisher.on_frame(changed_reading(0, "407"))
    wait_until(lambda: subscriber.numbers() == ["407"], "the reading")
    subscriber.close()
    broker.process.kill()
    broker.process.wait()
    broker.stop()
    broker.start()
    late = Subscriber(broker.port)
    wait_until(lambda: late.numbers() == ["407"], "the reading again")
    late.close()
    publisher.close()


def test_user_and_password_from_the_environment(tmp_path, photos, monkeypatch, capsys):
    passwords = tmp_path / "passwords"
    subprocess.run([shutil.which("mosquitto_passwd", path="/usr/bin:/usr/sbin") or "mosquitto_passwd",
                    "-b", "-c", str(passwords), "pi", "s3cret"], check=True, capture_output=True)
    broker = Broker(tmp_path, f"allow_anonymous false\npassword_file {passwords}").start()
    try:
        logs = []
        wrong = mqtt.MqttPublisher(mqtt.MqttSettings("127.0.0.1", broker.port, TOPIC, "pi", "wrong"),
                                   log=logs.append).start()
        wait_until(lambda: logs, "the refused connection")
        wrong.close()
        path, numbers = make_video(tmp_path, photos[:2], FRAMES_PER_PHOTO)
        subscriber = Subscriber(broker.port, credentials=("pi", "s3cret"))
        monkeypatch.setenv(mqtt.PASSWORD_ENV, "s3cret")
        assert cli.camera_main(["--source", str(path), "--headless", "--mqtt", f"127.0.0.1:{broker.port}",
                                "--mqtt-topic", TOPIC, "--mqtt-user", "pi"]) == 0
        wait_until(lambda: subscriber.payloads(f"{TOPIC}/availability")[-1:] == ["offline"], "the clean 'offline'")
        subscriber.close()
    finally:
        broker.stop()
    assert logs == [f"127.0.0.1:{broker.port} refused the connection (Not authorized); retrying"]
    # The loop may start before the connection is up; the last reading is always sent.
    assert subscriber.numbers()[-1] == numbers[1] and set(subscriber.numbers()) <= set(numbers)
    assert subscriber.payloads(f"{TOPIC}/availability") == ["online", "offline"]
    assert f"mnist-edge mqtt: connected to 127.0.0.1:{broker.port}" in capsys.readouterr().err


def make_certificates(folder):
    """A test CA and a server certificate for 127.0.0.1 signed by it (openssl command line)."""
    openssl = shutil.which("openssl") or missing("openssl not found (apt-get install openssl)")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    (folder / "server.ext").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                       "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
                                       "authorityKeyIdentifier=keyid\n")
    for command in (["req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                     "-subj", "/CN=mnist-edge test CA", "-addext", "keyUsage=critical,keyCertSign"],
                    ["req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
                    ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                     "-out", "server.pem", "-days", "2", "-extfile", "server.ext"]):
        subprocess.run([openssl, *command], cwd=folder, check=True, capture_output=True)
    return folder / "ca.pem"


def test_tls_checks_the_broker_certificate(tmp_path):
    ca = make_certificates(tmp_path)
    broker = Broker(tmp_path, f"allow_anonymous true\ncafile {ca}\ncertfile {tmp_path / 'server.pem'}\n"
                              f"keyfile {tmp_path / 'server.key'}").start()
    try:
        subscriber = Subscriber(broker.port, tls_ca=ca)
        verified, untrusted, insecure = [], [], []
        publisher = start_connected(mqtt.MqttSettings("127.0.0.1", broker.port, TOPIC, tls=True, cafile=str(ca)),
                                    verified)
        publisher.close()
        # The system's CAs do not know the test CA: no connection, one line, retried with back-off.
        refused = mqtt.MqttPublisher(mqtt.MqttSettings("127.0.0.1", broker.port, "t/untrusted", tls=True),
                                     log=untrusted.append).start()
        wait_until(lambda: untrusted, "the failed TLS connection")
        refused.close()
        unchecked = start_connected(mqtt.MqttSettings("127.0.0.1", broker.port, "t/insecure", tls=True,
                                                      insecure=True), insecure)
        unchecked.close()
        wait_until(lambda: subscriber.payloads("t/insecure/availability")[-1:] == ["offline"], "'offline'")
        subscriber.close()
    finally:
        broker.stop()
    assert subscriber.payloads(f"{TOPIC}/availability") == ["online", "offline"]
    assert untrusted == [f"cannot connect to 127.0.0.1:{broker.port}; retrying"]
    assert subscriber.payloads("t/untrusted/availability") == []
    assert subscriber.payloads("t/insecure/availability") == ["online", "offline"]


@pytest.mark.parametrize("options, message", [
    (["--mqtt-topic", "a/b"], "--mqtt-topic needs --mqtt HOST[:PORT]"),
    (["--mqtt", "broker", "--mqtt-password", "x"], "--mqtt-password needs --mqtt-user"),
    (["--mqtt", "broker", "--mqtt-cafile", "/nonexistent/ca.pem"],
     "/nonexistent/ca.pem: cannot read CA certificates (No such file or directory)"),
])
def test_option_mistakes_fail_in_one_line_before_anything_starts(options, message, capsys):
    assert cli.camera_main(["--source", "0", "--headless", *options]) == 1
    assert capsys.readouterr().err == f"mnist-edge camera: error: {message}\n"


@pytest.mark.parametrize("options, message", [
    (["--mqtt", "broker:70000"], "port must be 1 to 65535, got 70000"),
    (["--mqtt", "a:b:c"], "expected HOST or HOST:PORT, got 'a:b:c'"),
    (["--mqtt", "broker", "--mqtt-topic", "home/+/meter"], "must be a topic like"),
])
def test_malformed_mqtt_options_are_usage_errors(options, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.camera_main(["--source", "0", *options])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_without_paho_mqtt_the_camera_runs_and_the_option_says_what_to_install(long_video, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "paho.mqtt", None)  # import fails as if it were not installed
    assert cli.camera_main(["--source", str(long_video[0]), "--headless", "--json", "--max-frames", "2"]) == 0
    assert [json.loads(line)["number"] for line in capsys.readouterr().out.splitlines()] == long_video[1] * 2
    assert cli.camera_main(["--source", "0", "--headless", "--mqtt", "broker"]) == 1
    assert capsys.readouterr().err == f"mnist-edge camera: error: {mqtt.INSTALL_HINT}\n"


def test_broker_addresses():
    assert mqtt.parse_address("broker") == ("broker", None)
    assert mqtt.parse_address("192.168.1.5:1884") == ("192.168.1.5", 1884)
    assert mqtt.parse_address("[::1]:8883") == ("::1", 8883)
