#!/usr/bin/env python3
"""Two regionsyncd processes (two regions) over SNS -> SQS, against the fauxqs
emulator started on a free loopback port: provision with 'regionsync aws
provision', write in both regions, check both converge; then SIGSTOP the
emulator, keep writing locally, SIGCONT it, and check nothing was lost.

The emulator, provisioning and daemon set-up are helpers that other SNS/SQS
tests import (daemon_snssqs_presence_test.py).

usage: daemon_snssqs_test.py REGIONSYNCD REGIONSYNC_CLI"""
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, Daemon, request, wait_until  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FAUXQS = os.path.join(ROOT, "scripts", "lib", "fauxqs.sh")


class Fauxqs:
    """The fauxqs SNS/SQS emulator (scripts/lib/fauxqs.sh installs the pinned
    npm package once) on a free loopback port."""

    @staticmethod
    def install():
        """True once fauxqs is installed; prints why not otherwise."""
        if subprocess.run(["bash", FAUXQS, "install"], stdout=subprocess.DEVNULL).returncode != 0:
            print("FAIL fauxqs could not be installed (node/npm missing); scripts/test installs them")
            return False
        return True

    def __init__(self, log):
        port, self.pid = subprocess.check_output(["bash", FAUXQS, "start", log], text=True).split()
        self.endpoint = "http://127.0.0.1:%s" % port

    def freeze(self):
        os.kill(int(self.pid), signal.SIGSTOP)

    def thaw(self):
        os.kill(int(self.pid), signal.SIGCONT)

    def stop(self):
        subprocess.run(["bash", FAUXQS, "stop", self.pid])


def aws_env(secret):
    """The environment of the CLI and the daemons: fake AWS credentials (the
    emulator takes any) and one signing key shared by the regions."""
    return dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1",
                REGIONSYNC_SIGNING_KEYS="k1:" + secret)


def provision(cli, endpoint, replicas, env):
    """'regionsync aws provision' of `replicas` ("us-east-1/a", ...): the
    topic ARN and queue URL of each replica, as two dicts."""
    out = subprocess.check_output([cli, "aws", "provision", "--replicas", ",".join(replicas),
                                   "--endpoint", endpoint], text=True, env=env)
    topics = dict(re.findall(r"^replica (\S+)\n  publish_topic_arn (\S+)", out, re.M))
    queues = dict(re.findall(r"^replica (\S+)\n  publish_topic_arn \S+\n  queue_url +(\S+)", out, re.M))
    return topics, queues


def snssqs_daemon(daemon_bin, replica, topics, queues, endpoint, env, args=(), data_dir=None):
    """A regionsyncd (not started) for `replica` with the SNS/SQS broker."""
    region = replica.split("/")[0]
    return Daemon(daemon_bin, env=env, data_dir=data_dir, args=[
        "--replica-id", replica, "--broker", "snssqs", "--aws-region", region, "--aws-endpoint", endpoint,
        "--sns-topic-arn", topics[replica], "--sqs-queue-url", queues[replica]] + list(args))


def value(port, key):
    r = request(port, "GET", "/v1/keys/" + key)
    return r.json.get("value") if r.status == 200 else None


def main():
    daemon_bin, cli = sys.argv[1], sys.argv[2]
    if not Fauxqs.install():
        return 1
    log = os.path.join(ROOT, "build", "fauxqs-daemon-test.log") if os.path.isdir(os.path.join(ROOT, "build")) \
        else "/tmp/fauxqs-daemon-test.log"
    fauxqs = Fauxqs(log)
    env = aws_env("daemon-snssqs-test-secret")
    checks = Checks()
    daemons = []
    try:
        replicas = ["us-east-1/a", "eu-west-1/a"]
        topics, queues = provision(cli, fauxqs.endpoint, replicas, env)
        checks.eq("provisioned replicas", sorted(topics), ["eu-west-1/a", "us-east-1/a"])
        for replica in replicas:
            daemons.append(snssqs_daemon(daemon_bin, replica, topics, queues, fauxqs.endpoint, env).start())
        a, b = daemons[0].port, daemons[1].port

        checks.status("increment in us-east-1", request(a, "POST", "/v1/keys/sessions/increment", {"by": 5}), 200)
        checks.status("increment in eu-west-1", request(b, "POST", "/v1/keys/sessions/increment", {"by": 3}), 200)
        checks.status("add in eu-west-1", request(b, "POST", "/v1/keys/online/add", {"element": "alice"}), 200)
        wait_until(lambda: value(a, "sessions") == 8 and value(b, "sessions") == 8 and value(a, "online") == ["alice"],
                   timeout=30, what="both regions at sessions=8, online=[alice]")
        checks.true("converged over SNS/SQS", True)

        # Outage: the emulator freezes; both regions keep accepting writes.
        fauxqs.freeze()
        try:
            for i in range(20):
                checks.status("write during outage", request(a if i % 2 else b, "POST",
                                                             "/v1/keys/sessions/increment", {"by": 1}), 200)
        finally:
            fauxqs.thaw()
        wait_until(lambda: value(a, "sessions") == 28 and value(b, "sessions") == 28, timeout=60,
                   what="both regions at 28 after the outage")
        checks.true("nothing lost across the outage", True)
    except AssertionError as e:
        checks.failed.append(str(e))
        for d in daemons:
            print(d.read_log())
    finally:
        for d in daemons:
            d.stop()
            d.cleanup()
        fauxqs.stop()
    return checks.finish("daemon_snssqs_test")


if __name__ == "__main__":
    sys.exit(main())
