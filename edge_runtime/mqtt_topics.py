"""MQTT topic names and the Home Assistant discovery message for `camera --mqtt`; pure, no paho."""

import re
import socket

ONLINE, OFFLINE = "online", "offline"


def default_topic():
    """'mnist-edge/<hostname>': one topic per Pi without configuration."""
    return "mnist-edge/" + (re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname()).lower() or "camera")


def node_id(topic):
    """The Home Assistant node id (and MQTT client id) for a base topic: 'mnist-edge_kitchen'."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", topic)


def check_topic(text):
    """A base topic to publish under; MQTT forbids wildcards in topics we publish to."""
    if not text or text.startswith("/") or text.endswith("/") or any(c in text for c in "+#\0"):
        raise ValueError(f"must be a topic like 'mnist-edge/kitchen' (no +, #, or leading/trailing /), got {text!r}")
    return text


def discovery_config(topic, prefix="homeassistant"):
    """(config topic, message) for Home Assistant's MQTT discovery: one sensor whose state is the
    number read, with the whole reading (digits, scores, lines) as attributes, unavailable when we are."""
    node = node_id(topic)
    return f"{prefix}/sensor/{node}/reading/config", {
        "name": "Reading",
        "unique_id": f"{node}_reading",
        "state_topic": f"{topic}/state",
        "value_template": "{{ value_json.number }}",
        "json_attributes_topic": f"{topic}/state",
        "availability_topic": f"{topic}/availability",
        "payload_available": ONLINE,
        "payload_not_available": OFFLINE,
        "icon": "mdi:numeric",
        "device": {"identifiers": [node], "name": "mnist-edge " + topic.rsplit("/", 1)[-1],
                   "manufacturer": "mnist-edge", "model": "handwritten digit reader", "sw_version": package_version()},
        "origin": {"name": "mnist-edge", "sw_version": package_version()},
    }


def package_version():
    from importlib import metadata
    try:
        return metadata.version("mnist-edge")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown"
