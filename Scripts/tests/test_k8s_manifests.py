"""Scripts/k8s validates offline against the Kubernetes API schema bundled in
kubernetes-validate (strict: unknown fields are errors), and the Indexed Job maps its
completion index to --shard K/N with N = completions."""
import pathlib

import kubernetes_validate
import pytest
import yaml

K8S = pathlib.Path(__file__).resolve().parents[1] / "k8s"
VERSION = "1.30.0"


@pytest.mark.parametrize("name", ["shards-job.yaml", "merge-job.yaml"])
def test_manifest_validates(name):
    doc = yaml.safe_load((K8S / name).read_text())
    kubernetes_validate.validate(doc, VERSION, strict=True)


def test_a_misspelt_field_is_refused():
    doc = yaml.safe_load((K8S / "shards-job.yaml").read_text())
    doc["spec"]["completionMod"] = doc["spec"].pop("completionMode")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, VERSION, strict=True)


def test_indexed_job_runs_shard_k_of_completions():
    spec = yaml.safe_load((K8S / "shards-job.yaml").read_text())["spec"]
    assert spec["completionMode"] == "Indexed"
    container = spec["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["SHARDS"]) == spec["completions"]
    script = container["args"][0]
    assert '--shard "$k/$SHARDS"' in script and 'k="$JOB_COMPLETION_INDEX"' in script and "--resume" in script
