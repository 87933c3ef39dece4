//! `cargo xtask bench`: run the criterion benches and summarise them in one table.

use crate::util::{Result, cargo, err, read, run_status};
use crate::workspace::Workspace;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The benches that make up the summary: `(package, bench target)`.
const BENCHES: [(&str, &str); 2] = [
    ("clerk-token-verify", "verify"),
    ("clerk-jwks-cache", "resolve"),
];

/// One benchmark's result.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub(crate) group: String,
    pub(crate) id: String,
    pub(crate) mean_ns: f64,
    /// Elements (or bytes) per iteration, when the bench declared a throughput.
    pub(crate) per_iter: Option<(f64, &'static str)>,
}

/// Runs the benches (extra args go to criterion) unless `summary_only`, then prints the table of
/// the results written by this run (or all results with `summary_only`).
pub(crate) fn command(root: &Path, extra: &[String], summary_only: bool) -> Result<()> {
    let since = SystemTime::now();
    if !summary_only {
        for (pkg, bench) in BENCHES {
            let mut cmd = cargo();
            cmd.current_dir(root)
                .args(["bench", "-p", pkg, "--bench", bench, "--"])
                .args(extra);
            run_status(&mut cmd)?;
        }
    }
    let ws = Workspace::load(root)?;
    let dir = ws.target_dir.join("criterion");
    let rows = collect(&dir, (!summary_only).then_some(since))?;
    if rows.is_empty() {
        return Err(err!("no criterion results under {}", dir.display()));
    }
    print!("{}", table(&rows));
    Ok(())
}

/// Every `new/estimates.json` under `dir`, optionally only those written after `since`.
pub(crate) fn collect(dir: &Path, since: Option<SystemTime>) -> Result<Vec<Row>> {
    let mut files = Vec::new();
    find_estimates(dir, &mut files, 0);
    let mut rows = Vec::new();
    for f in files {
        if let Some(since) = since {
            let fresh = std::fs::metadata(&f)
                .and_then(|m| m.modified())
                .is_ok_and(|m| m >= since);
            if !fresh {
                continue;
            }
        }
        let est: Value = serde_json::from_str(&read(&f)?)?;
        let Some(mean_ns) = est["mean"]["point_estimate"].as_f64() else {
            continue;
        };
        let new_dir = f.parent().unwrap_or(dir);
        let bench: Value = read(&new_dir.join("benchmark.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        let rel = new_dir
            .parent()
            .and_then(|p| p.strip_prefix(dir).ok())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let group = bench["group_id"].as_str().map_or_else(
            || rel.split('/').next().unwrap_or("").to_owned(),
            str::to_owned,
        );
        let id = bench["full_id"].as_str().map_or(rel, str::to_owned);
        let t = &bench["throughput"];
        let per_iter = if let Some(n) = t["Elements"].as_f64() {
            Some((n, "elem/s"))
        } else {
            t["Bytes"]
                .as_f64()
                .or_else(|| t["BytesDecimal"].as_f64())
                .map(|n| (n, "B/s"))
        };
        rows.push(Row {
            group,
            id,
            mean_ns,
            per_iter,
        });
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rows)
}

fn find_estimates(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() && depth < 8 {
            // criterion's own HTML report and the previous run's `base` are not results.
            if p.file_name()
                .is_some_and(|n| n == "report" || n == "base" || n == "change")
            {
                continue;
            }
            find_estimates(&p, out, depth + 1);
        } else if p.file_name().is_some_and(|n| n == "estimates.json")
            && dir.file_name().is_some_and(|n| n == "new")
        {
            out.push(p);
        }
    }
}

/// The summary: mean time, rate per second, and within each group the ratio to its `raw`
/// benchmark (the bare signature check the pipeline is measured against).
pub(crate) fn table(rows: &[Row]) -> String {
    let w = rows.iter().map(|r| r.id.len()).max().unwrap_or(9).max(9);
    let mut s = format!(
        "{:w$}  {:>12}  {:>16}  {:>10}\n",
        "benchmark", "mean", "per second", "vs raw"
    );
    for r in rows {
        let raw = rows
            .iter()
            .find(|o| o.group == r.group && o.id.to_ascii_lowercase().contains("raw"));
        let ratio = match raw {
            Some(raw) if raw.mean_ns > 0.0 => format!("{:.2}x", r.mean_ns / raw.mean_ns),
            _ => "-".to_owned(),
        };
        let rate = match r.per_iter {
            Some((n, unit)) => format!("{} {unit}", si(n * 1e9 / r.mean_ns)),
            None => format!("{} it/s", si(1e9 / r.mean_ns)),
        };
        let _ = writeln!(
            s,
            "{:w$}  {:>12}  {:>16}  {:>10}",
            r.id,
            duration(r.mean_ns),
            rate,
            ratio
        );
    }
    s
}

fn duration(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

fn si(x: f64) -> String {
    if x >= 1e9 {
        format!("{:.2}G", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.2}k", x / 1e3)
    } else {
        format!("{x:.1}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn result(dir: &Path, rel: &str, group: &str, mean: f64, elements: Option<u64>) {
        let new = dir.join(rel).join("new");
        let tp = elements.map_or(Value::Null, |n| serde_json::json!({"Elements": n}));
        crate::util::write(
            &new.join("estimates.json"),
            &serde_json::json!({"mean": {"point_estimate": mean}}).to_string(),
        )
        .unwrap();
        crate::util::write(
            &new.join("benchmark.json"),
            &serde_json::json!({"group_id": group, "full_id": rel, "throughput": tp}).to_string(),
        )
        .unwrap();
    }

    #[test]
    fn summary_table_rates_and_ratio_to_raw() {
        let dir = crate::util::temp_dir("crit").unwrap();
        result(&dir, "verify/raw_rsa", "verify", 50_000.0, None);
        result(&dir, "verify/pipeline", "verify", 60_000.0, Some(1));
        result(&dir, "resolve/warm_hit", "resolve", 25.0, None);
        // Old baselines and reports are not results.
        result(&dir, "verify/pipeline/base", "verify", 1.0, None);
        let rows = collect(&dir, None).unwrap();
        assert_eq!(rows.len(), 3);
        let t = table(&rows);
        let line = |id: &str| t.lines().find(|l| l.starts_with(id)).unwrap().to_owned();
        assert!(line("verify/pipeline").contains("60.00 µs"), "{t}");
        assert!(line("verify/pipeline").contains("16.67k elem/s"), "{t}");
        assert!(line("verify/pipeline").ends_with("1.20x"), "{t}");
        assert!(line("verify/raw_rsa").ends_with("1.00x"), "{t}");
        assert!(line("resolve/warm_hit").contains("25.0 ns"), "{t}");
        assert!(line("resolve/warm_hit").contains("40.00M it/s"), "{t}");
        assert!(line("resolve/warm_hit").ends_with('-'), "{t}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
