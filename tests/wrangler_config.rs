//! `wrangler.toml`: the staging environment repeats every binding of production (wrangler does not
//! inherit bindings into environments), under its own resources, so a binding added to one side
//! only fails here instead of at the first staging request.

use std::collections::BTreeSet;
use toml::Value;

fn config() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/wrangler.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

/// `(kind, binding name)` of every binding in a config table, and the resource each points at.
fn bindings(table: &Value) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let mut names = BTreeSet::new();
    let mut resources = BTreeSet::new();
    let list = |key: &str| {
        table
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for (kind, name_key, resource_keys) in [
        (
            "d1_databases",
            "binding",
            &["database_name", "database_id"][..],
        ),
        ("kv_namespaces", "binding", &["id"][..]),
        ("analytics_engine_datasets", "binding", &["dataset"][..]),
        ("ratelimits", "name", &["namespace_id"][..]),
        ("queues_producers", "binding", &["queue"][..]),
    ] {
        for b in list(kind) {
            names.insert((kind.to_string(), b[name_key].as_str().unwrap().to_string()));
            for key in resource_keys {
                resources.insert(format!("{kind}.{key}={:?}", b[*key]));
            }
        }
    }
    if let Some(producers) = table
        .get("queues")
        .and_then(|q| q.get("producers"))
        .and_then(Value::as_array)
    {
        for b in producers {
            names.insert((
                "queues.producers".into(),
                b["binding"].as_str().unwrap().into(),
            ));
            resources.insert(format!("queue={:?}", b["queue"]));
        }
    }
    if let Some(dos) = table
        .get("durable_objects")
        .and_then(|d| d.get("bindings"))
        .and_then(Value::as_array)
    {
        for b in dos {
            names.insert(("durable_objects".into(), b["name"].as_str().unwrap().into()));
        }
    }
    if let Some(vm) = table.get("version_metadata") {
        names.insert((
            "version_metadata".into(),
            vm["binding"].as_str().unwrap().into(),
        ));
    }
    if let Some(vars) = table.get("vars").and_then(Value::as_table) {
        for key in vars.keys() {
            names.insert(("vars".into(), key.clone()));
        }
    }
    (names, resources)
}

#[test]
fn staging_has_every_production_binding_on_its_own_resources() {
    let config = config();
    let staging = &config["env"]["staging"];
    let (prod_names, prod_resources) = bindings(&config);
    let (staging_names, staging_resources) = bindings(staging);
    assert!(prod_names.len() >= 10, "{prod_names:?}");
    assert_eq!(
        prod_names, staging_names,
        "production and staging bind the same names"
    );
    let shared: Vec<_> = prod_resources.intersection(&staging_resources).collect();
    assert!(
        shared.is_empty(),
        "staging must not point at production resources: {shared:?}"
    );
    assert_ne!(config["name"], staging["name"]);
}

/// Each queue a Worker produces to is consumed by the same Worker, with retries and a
/// dead-letter queue, and the staging consumer behaves like production's.
#[test]
fn every_produced_queue_has_a_consumer_with_retries_and_a_dead_letter_queue() {
    let config = config();
    let consumer_settings = |table: &Value| -> Vec<(String, Value)> {
        let queues = table.get("queues");
        let producers = queues
            .and_then(|q| q.get("producers"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let consumers = queues
            .and_then(|q| q.get("consumers"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        assert!(!producers.is_empty(), "no queue producers");
        producers
            .iter()
            .map(|p| {
                let queue = p["queue"].as_str().unwrap();
                let consumer = consumers
                    .iter()
                    .find(|c| c["queue"].as_str() == Some(queue))
                    .unwrap_or_else(|| panic!("queue `{queue}` has no consumer"));
                let dlq = consumer["dead_letter_queue"].as_str().unwrap_or("");
                assert_eq!(
                    dlq,
                    format!("{queue}-dlq"),
                    "dead-letter queue of `{queue}`"
                );
                assert!(consumer["max_retries"].as_integer().unwrap_or(0) >= 3);
                let mut settings = consumer.as_table().unwrap().clone();
                settings.remove("queue");
                settings.remove("dead_letter_queue");
                (
                    p["binding"].as_str().unwrap().to_string(),
                    Value::Table(settings),
                )
            })
            .collect()
    };
    assert_eq!(
        consumer_settings(&config),
        consumer_settings(&config["env"]["staging"])
    );
}
