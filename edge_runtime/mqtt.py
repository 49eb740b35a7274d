"""Publish camera readings to an MQTT broker, with Home Assistant discovery (`camera --mqtt`).

paho-mqtt (the `web` extra) is imported only when --mqtt is given, so the camera loop runs
without it. The loop never waits on the broker: on_frame hands at most a few messages to
paho's network thread and otherwise only remembers the newest reading, which is published
when the broker is back.
"""

import dataclasses
import os
import re
import ssl
import sys
import threading

from edge_runtime import output
from edge_runtime.errors import UserInputError
from edge_runtime.mqtt_topics import OFFLINE, ONLINE, check_topic, default_topic, discovery_config, node_id

PASSWORD_ENV = "MNIST_EDGE_MQTT_PASSWORD"
PORT, TLS_PORT = 1883, 8883
KEEPALIVE_SECONDS = 30      # a broker that stops answering is noticed after about 1.5x this
MAX_UNSENT = 8              # state messages handed to paho but not yet written to its socket
CLOSE_TIMEOUT_SECONDS = 5   # how long close() waits for paho's thread (a stalled socket)
INSTALL_HINT = "--mqtt needs the paho-mqtt package: pip install 'mnist-edge[web]'"


@dataclasses.dataclass
class MqttSettings:
    """Where and how to publish; see add_arguments for what each one means."""

    host: str
    port: int = None                    # default 1883, 8883 with TLS
    topic: str = None                   # base topic; default mnist-edge/<hostname>
    username: str = None
    password: str = None
    tls: bool = False
    cafile: str = None
    insecure: bool = False
    discovery_prefix: str = "homeassistant"
    reconnect_delays: tuple = (1, 60)   # seconds: first retry, and the cap of the doubling back-off

    def __post_init__(self):
        self.topic = self.topic or default_topic()


def parse_address(text):
    """'broker', 'broker:1884' or '[::1]:1884' -> (host, port or None); argparse type."""
    match = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?|([^:\[\]]+)(?::(\d+))?", text.strip())
    if not match:
        raise ValueError(f"expected HOST or HOST:PORT, got {text!r}")
    host, port = match.group(1) or match.group(3), match.group(2) or match.group(4)
    if port is not None and not 1 <= int(port) <= 65535:
        raise ValueError(f"port must be 1 to 65535, got {port}")
    return host, None if port is None else int(port)


def reading_key(record):
    """What makes a reading new: the text of each line. Scores alone changing is not news."""
    return tuple(record.get("lines", ()))


def make_client(settings):
    """A paho client with credentials, TLS and a retained 'offline' last will; no network yet."""
    try:
        from paho.mqtt import client as paho
    except ImportError:
        raise UserInputError(INSTALL_HINT) from None
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=node_id(settings.topic))
    if settings.username:
        client.username_pw_set(settings.username, settings.password)
    if settings.tls:
        client.tls_set_context(tls_context(settings))
    client.will_set(f"{settings.topic}/availability", OFFLINE, qos=1, retain=True)
    client.reconnect_delay_set(*settings.reconnect_delays)
    return client


def tls_context(settings):
    """Verify the broker against --mqtt-cafile (else the system's CAs); --mqtt-insecure checks nothing."""
    try:
        context = ssl.create_default_context(cafile=settings.cafile)
    except (OSError, ssl.SSLError) as error:
        raise UserInputError(f"{settings.cafile}: cannot read CA certificates "
                             f"({getattr(error, 'strerror', None) or error})") from None
    if settings.insecure:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context


class MqttPublisher:
    """A camera-loop listener: each changed reading goes to <topic>/state, retained.

    On every connect it publishes 'online', the discovery config and the newest reading, so a
    broker restarted without persistence is filled again. While disconnected it keeps only
    the newest reading: nothing queues up, and on_frame never touches the network.
    """

    def __init__(self, settings, log=None):
        self.settings, self.log = settings, log or print_status
        self.state_topic, self.availability_topic = f"{settings.topic}/state", f"{settings.topic}/availability"
        self.client = make_client(settings)
        self.client.on_connect, self.client.on_connect_fail = self._on_connect, self._on_connect_fail
        self.client.on_disconnect, self.client.on_publish = self._on_disconnect, self._on_publish
        self._lock = threading.Lock()
        self.connected, self._reported = False, None
        self._latest, self._latest_key, self._pending, self._unsent = None, None, False, set()

    def start(self):
        """Connect in paho's own thread, retrying with back-off; returns at once."""
        port = self.settings.port or (TLS_PORT if self.settings.tls else PORT)
        self.client.connect_async(self.settings.host, port, keepalive=KEEPALIVE_SECONDS)
        self.client.loop_start()
        return self

    @property
    def backlog(self):
        """Readings handed to paho but not yet written to its socket (at most MAX_UNSENT)."""
        return len(self._unsent)

    @property
    def address(self):
        return f"{self.client.host}:{self.client.port}"

    def on_frame(self, event):
        """Remember the reading if it changed, and hand it to paho if the link is free."""
        key = reading_key(event.record)
        if key == self._latest_key:
            return
        self._latest_key = key
        payload = output.json_record(event.record)
        with self._lock:
            self._latest, self._pending = payload, True
            self._send_latest()

    def close(self):
        """Publish the last reading and a clean 'offline', disconnect; bounded even if the broker hangs."""
        with self._lock:
            if self.connected:
                self._send_latest(force=True)
                self.client.publish(self.availability_topic, OFFLINE, retain=True)
            self.connected = False
        self.client.disconnect()
        stopper = threading.Thread(target=self.client.loop_stop, daemon=True)
        stopper.start()
        stopper.join(CLOSE_TIMEOUT_SECONDS)

    def _send_latest(self, force=False):
        """Publish the newest reading unless paho still holds MAX_UNSENT of ours (lock held).

        QoS 0 on purpose: paho re-sends unacknowledged QoS 1 messages after a reconnect, after
        on_connect has published the newest reading, so an older one would win the retained slot.
        """
        if not (self.connected and self._pending) or (len(self._unsent) >= MAX_UNSENT and not force):
            return
        info = self.client.publish(self.state_topic, self._latest, retain=True)
        if info.rc == 0:
            self._pending = False
            self._unsent.add(info.mid)

    # paho's callbacks, run in its network thread
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            self._report(f"{self.address} refused the connection ({reason_code}); retrying")
            return
        with self._lock:
            self.connected, self._unsent = True, set()
            client.publish(self.availability_topic, ONLINE, retain=True)
            topic, config = discovery_config(self.settings.topic, self.settings.discovery_prefix)
            client.publish(topic, output.json_record(config), retain=True)
            self._pending = self._latest is not None  # whatever was sent before may be lost
            self._send_latest()
        self._report(f"connected to {self.address}, publishing to {self.state_topic}")

    def _on_connect_fail(self, client, userdata):
        self._report(f"cannot connect to {self.address}; retrying")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        with self._lock:
            was_connected, self.connected = self.connected, False
        if was_connected:
            self._report(f"lost the connection to {self.address} ({reason_code}); reconnecting")

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        with self._lock:
            self._unsent.discard(mid)
            self._send_latest()

    def _report(self, message):
        """Log a change of state once, not every retry of the back-off."""
        if message != self._reported:
            self._reported = message
            self.log(message)


def print_status(message):
    print(f"mnist-edge mqtt: {message}", file=sys.stderr, flush=True)


def add_arguments(parser):
    group = parser.add_argument_group("MQTT (Home Assistant)")
    group.add_argument("--mqtt", metavar="HOST[:PORT]", type=address_argument,
                       help=f"publish each changed reading to this MQTT broker (port {PORT}, {TLS_PORT} with TLS)")
    group.add_argument("--mqtt-topic", type=topic_argument,
                       help="base topic: readings go to TOPIC/state (default mnist-edge/<hostname>)")
    group.add_argument("--mqtt-user", help="user name for the broker")
    group.add_argument("--mqtt-password", help=f"password for the broker; better in ${PASSWORD_ENV}, "
                                               "which other users cannot see in `ps`")
    group.add_argument("--mqtt-tls", action="store_true", help="connect with TLS")
    group.add_argument("--mqtt-cafile", help="CA certificate(s) to verify the broker with (implies --mqtt-tls)")
    group.add_argument("--mqtt-insecure", action="store_true",
                       help="TLS without verifying the broker's certificate (testing only)")
    group.add_argument("--mqtt-discovery-prefix", default="homeassistant", type=topic_argument,
                       help="Home Assistant's discovery prefix (default %(default)s)")


def address_argument(text):
    import argparse
    try:
        return parse_address(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def topic_argument(text):
    import argparse
    try:
        return check_topic(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def settings_from_arguments(arguments):
    """MqttSettings from the parsed options, or None without --mqtt."""
    if arguments.mqtt is None:
        given = [name for name in ("topic", "user", "password", "tls", "cafile", "insecure")
                 if getattr(arguments, f"mqtt_{name}")]
        if given:
            raise UserInputError(f"--mqtt-{given[0]} needs --mqtt HOST[:PORT]")
        return None
    if arguments.mqtt_password and not arguments.mqtt_user:
        raise UserInputError("--mqtt-password needs --mqtt-user")
    host, port = arguments.mqtt
    password = arguments.mqtt_password or (os.environ.get(PASSWORD_ENV) if arguments.mqtt_user else None)
    return MqttSettings(host, port, arguments.mqtt_topic, arguments.mqtt_user, password,
                        tls=bool(arguments.mqtt_tls or arguments.mqtt_cafile or arguments.mqtt_insecure),
                        cafile=arguments.mqtt_cafile, insecure=arguments.mqtt_insecure,
                        discovery_prefix=arguments.mqtt_discovery_prefix)


def publisher_from_arguments(arguments):
    """An MqttPublisher, not yet connected (paho and the TLS files checked), or None without --mqtt."""
    settings = settings_from_arguments(arguments)
    return None if settings is None else MqttPublisher(settings)
