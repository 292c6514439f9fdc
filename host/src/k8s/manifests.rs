//! The objects of a sharded run in Kubernetes, as YAML.

use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

use super::{CONFIG_MAP_LIMIT, MOUNT};
use crate::shard_link::wire::SECRET_ENV;

/// The port the coordinator listens on, in its pod and its Service.
const PORT: u16 = 7070;
/// Memory a shard needs before its users.
const SHARD_BASE_MEMORY: u64 = 128 << 20;
/// Memory a user of a Rust scenario holds resident (a suspended user about 50 KiB, its
/// guest's heap the rest), for the shards' requests.
const USER_MEMORY: u64 = 512 << 10;

/// A file the pods find under [`MOUNT`].
#[derive(Debug, Clone)]
pub struct MountedFile {
    /// Its name there, and its key in the ConfigMap.
    pub key: String,
    /// Its contents.
    pub bytes: Vec<u8>,
}

/// Everything the manifests say.
#[derive(Debug, Clone)]
pub struct Manifests {
    /// The run's name, a DNS label; every object's name starts with it.
    pub name: String,
    /// The namespace, if given.
    pub namespace: Option<String>,
    /// The image with the `wasmload` program.
    pub image: String,
    /// The shards.
    pub shards: u32,
    /// How long finished Jobs are kept.
    pub ttl: Duration,
    /// The run's secret.
    pub secret: String,
    /// The components and plan.
    pub files: Vec<MountedFile>,
    /// A shard's command line, without `--shard` and `--coordinator`.
    pub shard_command: Vec<String>,
    /// The coordinator's own flags (`--abort-on-fail` and the like).
    pub coordinator_flags: Vec<String>,
    /// Users each shard runs (at most), to size its memory.
    pub users_per_shard: u32,
}

impl Manifests {
    /// Every object, as YAML documents.
    pub fn to_yaml(&self) -> anyhow::Result<String> {
        let packed = self.packed_files();
        let maps = packed.len();
        let mut objects = vec![self.secret_object()];
        objects.extend(self.config_maps(packed));
        objects.extend([
            self.service(),
            self.coordinator_job(),
            self.shards_job(maps),
        ]);
        let mut yaml = String::new();
        for object in objects {
            yaml.push_str("---\n");
            yaml.push_str(&serde_norway::to_string(&object)?);
        }
        Ok(yaml)
    }

    fn metadata(&self, suffix: &str, role: Option<&str>) -> Value {
        let mut labels = json!({
            "app.kubernetes.io/name": "wasmload",
            "app.kubernetes.io/instance": self.name,
        });
        if let Some(role) = role {
            labels["app.kubernetes.io/component"] = json!(role);
        }
        let mut metadata = json!({ "name": format!("{}-{suffix}", self.name), "labels": labels });
        if let Some(namespace) = &self.namespace {
            metadata["namespace"] = json!(namespace);
        }
        metadata
    }

    fn secret_object(&self) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": self.metadata("secret", None),
            "type": "Opaque",
            "stringData": { SECRET_ENV: self.secret },
        })
    }

    /// The mounted files in base64, packed in order into ConfigMaps of at most
    /// [`CONFIG_MAP_LIMIT`] each.
    fn packed_files(&self) -> Vec<serde_json::Map<String, Value>> {
        let mut maps = vec![serde_json::Map::new()];
        let mut size = 0;
        for file in &self.files {
            let encoded = base64::engine::general_purpose::STANDARD.encode(&file.bytes);
            let bytes = (file.key.len() + encoded.len()) as u64;
            if size + bytes > CONFIG_MAP_LIMIT && size > 0 {
                maps.push(serde_json::Map::new());
                size = 0;
            }
            size += bytes;
            if let Some(map) = maps.last_mut() {
                map.insert(file.key.clone(), json!(encoded));
            }
        }
        maps
    }

    /// The name of the `index`-th ConfigMap of mounted files.
    fn config_map_name(&self, index: usize) -> String {
        match index {
            0 => "components".to_string(),
            index => format!("components-{}", index + 1),
        }
    }

    /// A ConfigMap for each of the `packed` sets of files.
    fn config_maps(&self, packed: Vec<serde_json::Map<String, Value>>) -> Vec<Value> {
        packed
            .into_iter()
            .enumerate()
            .map(|(index, data)| {
                json!({
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": self.metadata(&self.config_map_name(index), None),
                    "binaryData": data,
                })
            })
            .collect()
    }

    /// The volume the shards find the files in: the one ConfigMap, or all `maps` of them in
    /// one directory.
    fn components_volume(&self, maps: usize) -> Value {
        let name = |index| format!("{}-{}", self.name, self.config_map_name(index));
        if maps == 1 {
            return json!({ "name": "components", "configMap": { "name": name(0) } });
        }
        let sources: Vec<Value> = (0..maps)
            .map(|index| json!({ "configMap": { "name": name(index) } }))
            .collect();
        json!({ "name": "components", "projected": { "sources": sources } })
    }

    fn service(&self) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self.metadata("coordinator", Some("coordinator")),
            "spec": {
                "selector": self.selector("coordinator"),
                "ports": [{ "name": "shards", "port": PORT, "targetPort": PORT }],
            },
        })
    }

    fn selector(&self, role: &str) -> Value {
        json!({
            "app.kubernetes.io/instance": self.name,
            "app.kubernetes.io/component": role,
        })
    }

    fn coordinator_job(&self) -> Value {
        let mut command: Vec<String> = [
            "wasmload",
            "coordinate",
            "--shards",
            &self.shards.to_string(),
            "--listen",
            &format!("0.0.0.0:{PORT}"),
            "--ready-timeout",
            "10m",
            "-q",
        ]
        .map(str::to_string)
        .to_vec();
        command.extend(self.coordinator_flags.iter().cloned());
        let container = json!({
            "name": "coordinator",
            "image": self.image,
            "command": command,
            "env": [self.secret_env()],
            "ports": [{ "name": "shards", "containerPort": PORT }],
            "resources": { "requests": { "cpu": "500m", "memory": "256Mi" } },
        });
        self.job("coordinator", json!({ "backoffLimit": 0 }), container, None)
    }

    fn shards_job(&self, maps: usize) -> Value {
        let mut command = self.shard_command.clone();
        command.extend([
            "--shard".to_string(),
            self.shards.to_string(),
            "--coordinator".to_string(),
            format!("http://{}-coordinator:{PORT}", self.name),
            "-q".to_string(),
        ]);
        let memory = SHARD_BASE_MEMORY + u64::from(self.users_per_shard) * USER_MEMORY;
        let memory = format!("{}Mi", memory.div_ceil(1 << 20));
        let container = json!({
            "name": "shard",
            "image": self.image,
            "command": command,
            "env": [self.secret_env()],
            "volumeMounts": [{ "name": "components", "mountPath": MOUNT, "readOnly": true }],
            "resources": {
                "requests": { "cpu": "1", "memory": memory },
                "limits": { "memory": memory },
            },
        });
        let spec = json!({
            "completionMode": "Indexed",
            "completions": self.shards,
            "parallelism": self.shards,
            "backoffLimitPerIndex": 0,
        });
        let volumes = json!([self.components_volume(maps)]);
        self.job("shards", spec, container, Some(volumes))
    }

    fn job(&self, role: &str, mut spec: Value, container: Value, volumes: Option<Value>) -> Value {
        let mut pod = json!({ "restartPolicy": "Never", "containers": [container] });
        if let Some(volumes) = volumes {
            pod["volumes"] = volumes;
        }
        spec["ttlSecondsAfterFinished"] = json!(self.ttl.as_secs());
        spec["template"] = json!({
            "metadata": { "labels": self.selector(role) },
            "spec": pod,
        });
        json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": self.metadata(role, Some(role)),
            "spec": spec,
        })
    }

    fn secret_env(&self) -> Value {
        json!({
            "name": SECRET_ENV,
            "valueFrom": {
                "secretKeyRef": { "name": format!("{}-secret", self.name), "key": SECRET_ENV },
            },
        })
    }
}
