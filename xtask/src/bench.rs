//! `cargo xtask bench`: run the criterion benches and summarise them in one table; `bench cli`:
//! time `clerk-m2m verify --json -` beside `openssl speed rsa2048` on the same cores; `bench
//! pipeline`: the verifier pipeline against its provider's bare signature check, interleaved.

use crate::util::{Result, cargo, err, read, run_output, run_status};
use crate::workspace::Workspace;
use serde_json::Value;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

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

/// `cargo xtask bench pipeline [--rounds N] [--batch N]`: builds token-verify's `ratio` bench with
/// both providers and runs it on core 0 (`taskset`, when there is one); the options go to it.
pub(crate) fn pipeline_command(root: &Path, args: &[String]) -> Result<()> {
    check_pipeline_args(args)?;
    let out = run_output(cargo().current_dir(root).args([
        "bench",
        "-p",
        "clerk-token-verify",
        "--bench",
        "ratio",
        "--features",
        "aws-lc-rs",
        "--no-run",
        "--message-format=json",
    ]))?;
    let exe = bench_executable(&out, "ratio")
        .ok_or_else(|| err!("cargo did not report the ratio bench's executable"))?;
    let mut cmd = if Command::new("taskset").arg("-V").output().is_ok() {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(&exe);
        c
    } else {
        eprintln!("taskset not found: running unpinned");
        Command::new(&exe)
    };
    run_status(cmd.arg("--bench").args(args))
}

/// `bench pipeline`'s options, checked here so that the bench itself never sees a bad one.
fn check_pipeline_args(args: &[String]) -> Result<()> {
    for pair in args.chunks(2) {
        match pair {
            [name, n] if (name == "--rounds" || name == "--batch") && n.parse::<u32>().is_ok() => {}
            _ => {
                return Err(err!(
                    "bench pipeline takes --rounds N and --batch N, not {pair:?}"
                ));
            }
        }
    }
    Ok(())
}

/// The executable of bench target `name` in `cargo bench --no-run --message-format=json` output.
pub(crate) fn bench_executable(cargo_json: &str, name: &str) -> Option<PathBuf> {
    cargo_json
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|m| {
            m["reason"] == "compiler-artifact"
                && m["target"]["name"] == name
                && m["target"]["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bench"))
        })
        .and_then(|m| m["executable"].as_str().map(PathBuf::from))
}

/// Options of `cargo xtask bench cli`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CliOptions {
    /// Distinct tokens to time (minted once, then reused from the target directory).
    pub(crate) tokens: usize,
    /// Tokens streamed through one run for the peak RSS (0: skip).
    pub(crate) rss_tokens: usize,
    /// Timed runs per configuration; the best is reported.
    pub(crate) runs: usize,
    /// A prebuilt `clerk-m2m` to measure instead of building this workspace's.
    pub(crate) bin: Option<PathBuf>,
    /// Distinct tokens of the repeated-tokens run (0: skip that run).
    pub(crate) repeat_distinct: usize,
    /// Lines of the repeated-tokens run: every distinct token `repeat_lines / repeat_distinct`
    /// times.
    pub(crate) repeat_lines: usize,
}

impl Default for CliOptions {
    fn default() -> Self {
        Self {
            tokens: 50_000,
            rss_tokens: 1_000_000,
            runs: 3,
            bin: None,
            repeat_distinct: 20_000,
            repeat_lines: 1_000_000,
        }
    }
}

/// What `bench cli` found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CliReport {
    pub(crate) cores: usize,
    pub(crate) one_core: Rate,
    /// One core with `--cache-entries 0`: distinct tokens gain nothing from the cache.
    pub(crate) one_core_no_cache: Rate,
    pub(crate) openssl_one_core: f64,
    pub(crate) all_cores: Rate,
    pub(crate) openssl_all_cores: f64,
    pub(crate) peak_rss_kib: Option<(usize, u64)>,
    /// Lines per second on one pinned core when `distinct` tokens repeat over `lines` lines.
    pub(crate) repeated: Option<Repeated>,
    pub(crate) load_before: f64,
    pub(crate) load_after: f64,
}

/// The repeated-tokens run: what the verified-token cache is for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Repeated {
    pub(crate) distinct: usize,
    pub(crate) lines: usize,
    /// With the default `--cache-entries`.
    pub(crate) default_cache: Rate,
    /// With `--cache-entries` the next power of two at or above `distinct`.
    pub(crate) sized_cache: (usize, Rate),
}

/// `cargo xtask bench cli`: builds the release binary, mints (once) distinct RS256-2048 M2M
/// JWTs, and times `clerk-m2m verify --json --jwt-key KEY -` over them on one pinned core
/// (`taskset -c 0`) beside `openssl speed -seconds 3 rsa2048` on that core, then on all cores;
/// then the peak RSS of one run over `rss_tokens` tokens; then, on one pinned core,
/// `repeat_lines` lines made of `repeat_distinct` distinct tokens (each round over them in a new
/// pseudo-random order, as calls from many machines interleave), which the verified-token cache
/// answers after the first round.
pub(crate) fn cli_command(root: &Path, o: &CliOptions) -> Result<()> {
    let ws = Workspace::load(root)?;
    let bin = match &o.bin {
        Some(b) => b.clone(),
        None => {
            run_status(cargo().current_dir(root).args([
                "build",
                "--release",
                "-p",
                "clerk-m2m-cli",
            ]))?;
            ws.target_dir.join("release").join("clerk-m2m")
        }
    };
    let dir = ws.target_dir.join("bench-cli");
    std::fs::create_dir_all(&dir)?;
    // One token file serves both runs: as many tokens as the larger needs.
    let minted = o.tokens.max(o.repeat_distinct);
    let (tokens, key) = (
        dir.join(format!("tokens-{minted}.txt")),
        dir.join(format!("key-{minted}.pem")),
    );
    if !(tokens.is_file() && key.is_file()) {
        eprintln!("minting {minted} tokens (RSA signing, ~1 ms each)...");
        let out = std::fs::File::create(&tokens)?;
        let status = Command::new(&bin)
            .args(["bench-tokens", "--count", &minted.to_string(), "--key-out"])
            .arg(&key)
            .stdout(out)
            .status()?;
        if !status.success() {
            let _ = std::fs::remove_file(&tokens);
            return Err(err!("minting tokens failed ({status})"));
        }
    }
    check_all_verify(&bin, &key, &tokens)?;
    let text = read(&tokens)?;
    let all: Vec<&str> = text.lines().collect();
    // The timed runs read a file of exactly `tokens` lines.
    let timed = dir.join(format!("timed-{}-of-{minted}.txt", o.tokens));
    if !timed.is_file() {
        let t: String = all
            .iter()
            .take(o.tokens)
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&timed, t)?;
    }

    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let load_before = load();
    let verify = |pin: bool, cache| best_rate(&bin, &key, &timed, o.tokens, o.runs, pin, cache);
    let report = CliReport {
        cores,
        openssl_one_core: openssl_verify_rate(Some("0"), 1)?,
        one_core: verify(true, None)?,
        one_core_no_cache: verify(true, Some(0))?,
        openssl_all_cores: openssl_verify_rate(None, cores)?,
        all_cores: verify(false, None)?,
        peak_rss_kib: if o.rss_tokens == 0 {
            None
        } else {
            Some((
                o.rss_tokens,
                peak_rss(&bin, &key, &all, o.rss_tokens, &dir.join("rss.cpu"))?,
            ))
        },
        repeated: if o.repeat_distinct == 0 {
            None
        } else {
            let distinct = &all[..o.repeat_distinct.min(all.len())];
            let cpu_out = dir.join("repeated.cpu");
            let rate = |cache| {
                repeated_rate(
                    &bin,
                    &key,
                    distinct,
                    o.repeat_lines,
                    o.runs,
                    cache,
                    &cpu_out,
                )
            };
            let sized = distinct.len().next_power_of_two();
            Some(Repeated {
                distinct: distinct.len(),
                lines: o.repeat_lines,
                default_cache: rate(None)?,
                sized_cache: (sized, rate(Some(sized))?),
            })
        },
        load_before,
        load_after: load(),
    };
    print!("{}", cli_table(&report, o.tokens));
    Ok(())
}

/// `clerk-m2m verify --json --jwt-key KEY -`, on core 0 when `pin`, with `--cache-entries` when
/// given, and under `/usr/bin/time` writing its user and system CPU seconds to `cpu_out` when
/// given.
fn verify_command(
    bin: &Path,
    key: &Path,
    pin: bool,
    cache_entries: Option<usize>,
    cpu_out: Option<&Path>,
) -> Command {
    let mut argv: Vec<std::ffi::OsString> = Vec::new();
    if let Some(out) = cpu_out {
        argv.extend(["/usr/bin/time", "-f", "%U %S %M", "-o"].map(Into::into));
        argv.push(out.into());
    }
    if pin {
        argv.extend(["taskset", "-c", "0"].map(Into::into));
    }
    argv.push(bin.into());
    argv.extend(["verify", "--json", "--jwt-key"].map(Into::into));
    argv.push(key.into());
    if let Some(n) = cache_entries {
        argv.push("--cache-entries".into());
        argv.push(n.to_string().into());
    }
    argv.push("-".into());
    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..]);
    for v in [
        "CLERK_SECRET_KEY",
        "CLERK_MACHINE_SECRET_KEY",
        "CLERK_JWT_KEY",
        "CLERK_API_URL",
    ] {
        c.env_remove(v);
    }
    c
}

/// The first tokens verify (a broken key or clock would make the timing meaningless).
fn check_all_verify(bin: &Path, key: &Path, tokens: &Path) -> Result<()> {
    let text = read(tokens)?;
    let sample: String = text.lines().take(200).map(|l| format!("{l}\n")).collect();
    let mut child = verify_command(bin, key, false, None, None)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(sample.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    let lines: Vec<&[u8]> = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let want = sample.lines().count();
    if !out.status.success()
        || lines.len() != want
        || !lines.iter().all(|l| l.starts_with(br#"{"ok":true"#))
    {
        return Err(err!(
            "the bench tokens do not all verify ({}, {} of {want} lines); delete {} to mint new ones",
            out.status,
            lines.len(),
            tokens.display()
        ));
    }
    Ok(())
}

/// Tokens per second of the best of `runs` runs over the token file (output to /dev/null).
fn best_rate(
    bin: &Path,
    key: &Path,
    tokens: &Path,
    n: usize,
    runs: usize,
    pin: bool,
    cache_entries: Option<usize>,
) -> Result<Rate> {
    let mut best = Rate::default();
    for _ in 0..runs.max(1) {
        let input = std::fs::File::open(tokens)?;
        let cpu_out = tokens.with_extension("cpu");
        let t = Instant::now();
        let status = verify_command(bin, key, pin, cache_entries, Some(&cpu_out))
            .stdin(input)
            .stdout(Stdio::null())
            .status()?;
        let elapsed = t.elapsed();
        if !status.success() {
            return Err(err!("clerk-m2m verify failed ({status})"));
        }
        best = best.max(Rate::of(n, elapsed, &cpu_out)?);
    }
    Ok(best)
}

/// Items per second over the wall clock, and per CPU second (user + system) of the measured
/// process: `openssl speed` divides by CPU user time, and on a machine shared with other work
/// only CPU time compares. With the run's peak RSS.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Rate {
    pub(crate) wall: f64,
    pub(crate) cpu: f64,
    /// Peak resident set of the run, KiB (of the worst run, when several).
    pub(crate) peak_rss_kib: u64,
}

impl Rate {
    /// From `/usr/bin/time -f "%U %S %M"`'s last line.
    fn of(n: usize, wall: Duration, cpu_out: &Path) -> Result<Self> {
        let text = read(cpu_out)?;
        let fields: Vec<&str> = text
            .lines()
            .last()
            .map(|l| l.split_whitespace().collect())
            .unwrap_or_default();
        let bad = || err!("no CPU times and RSS in {}", cpu_out.display());
        let [user, system, rss] = fields[..] else {
            return Err(bad());
        };
        let seconds = |v: &str| v.parse::<f64>().map_err(|_| bad());
        let cpu = seconds(user)? + seconds(system)?;
        #[allow(clippy::cast_precision_loss)]
        let n = n as f64;
        Ok(Self {
            wall: n / wall.as_secs_f64(),
            // /usr/bin/time has 10 ms resolution.
            cpu: n / cpu.max(0.01),
            peak_rss_kib: rss.parse().map_err(|_| bad())?,
        })
    }

    fn max(self, o: Self) -> Self {
        Self {
            wall: self.wall.max(o.wall),
            cpu: self.cpu.max(o.cpu),
            peak_rss_kib: self.peak_rss_kib.max(o.peak_rss_kib),
        }
    }
}

/// RSA-2048 verifications per second by `openssl speed` (on core `pin`, or `multi` processes).
fn openssl_verify_rate(pin: Option<&str>, multi: usize) -> Result<f64> {
    let mut c = match pin {
        Some(core) => {
            let mut c = Command::new("taskset");
            c.args(["-c", core, "openssl"]);
            c
        }
        None => Command::new("openssl"),
    };
    c.args(["speed", "-seconds", "3"]);
    if multi > 1 {
        c.args(["-multi", &multi.to_string()]);
    }
    c.arg("rsa2048").stderr(Stdio::null());
    parse_openssl_verify(&run_output(&mut c)?)
        .ok_or_else(|| err!("no `rsa 2048 bits` line in the output of openssl speed"))
}

/// The verify/s column of the `rsa 2048 bits` row of `openssl speed` (the last number; with
/// `-multi` the summed row has the same shape).
pub(crate) fn parse_openssl_verify(out: &str) -> Option<f64> {
    out.lines()
        .rev()
        .find(|l| l.split_whitespace().take(3).eq(["rsa", "2048", "bits"]))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
}

/// Peak RSS (KiB, from `/usr/bin/time`'s `%M` as every timed run records it in `time_out`) of
/// one run over `n` tokens: the token file is streamed again and again through a pipe, so no
/// input file of that size is needed.
fn peak_rss(bin: &Path, key: &Path, lines: &[&str], n: usize, time_out: &Path) -> Result<u64> {
    if lines.is_empty() {
        return Err(err!("no tokens"));
    }
    let t = Instant::now();
    let mut child = verify_command(bin, key, false, None, Some(time_out))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    if let Some(stdin) = child.stdin.take() {
        let mut w = std::io::BufWriter::new(stdin);
        for l in lines.iter().cycle().take(n) {
            writeln!(w, "{l}")?;
        }
        w.flush()?;
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(err!(
            "clerk-m2m verify under /usr/bin/time failed ({status})"
        ));
    }
    Ok(Rate::of(n, t.elapsed(), time_out)?.peak_rss_kib)
}

/// Lines per second (best of `runs`) of `verify` on core 0 over `n` lines: rounds over
/// `distinct`, each in a new pseudo-random order, written into its stdin by a thread of this
/// process (on the other cores) so that no file of that size is needed.
fn repeated_rate(
    bin: &Path,
    key: &Path,
    distinct: &[&str],
    n: usize,
    runs: usize,
    cache_entries: Option<usize>,
    cpu_out: &Path,
) -> Result<Rate> {
    if distinct.is_empty() || n == 0 {
        return Err(err!("no tokens"));
    }
    let order = repeated_order(distinct.len(), n);
    let mut best = Rate::default();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let mut child = verify_command(bin, key, true, cache_entries, Some(cpu_out))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| err!("no stdin"))?;
        let written = std::thread::scope(|s| {
            let writer = s.spawn(|| -> std::io::Result<()> {
                let mut w = std::io::BufWriter::with_capacity(1 << 20, stdin);
                for &i in &order {
                    w.write_all(distinct[i].as_bytes())?;
                    w.write_all(b"\n")?;
                }
                w.flush()
            });
            writer.join()
        });
        let status = child.wait()?;
        let elapsed = t.elapsed();
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(err!("writing the repeated tokens: {e}")),
            Err(_) => return Err(err!("the writer thread panicked")),
        }
        if !status.success() {
            return Err(err!(
                "clerk-m2m verify of repeated tokens failed ({status})"
            ));
        }
        best = best.max(Rate::of(n, elapsed, cpu_out)?);
    }
    Ok(best)
}

/// `n` indices into `0..distinct`: rounds over all of them, each round shuffled (xorshift64,
/// fixed seed: every run sees the same input).
pub(crate) fn repeated_order(distinct: usize, n: usize) -> Vec<usize> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut round: Vec<usize> = (0..distinct).collect();
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        for i in (1..round.len()).rev() {
            #[allow(clippy::cast_possible_truncation)]
            let j = (next() % (i as u64 + 1)) as usize;
            round.swap(i, j);
        }
        order.extend(round.iter().take(n - order.len()));
    }
    order
}

fn load() -> f64 {
    read(Path::new("/proc/loadavg"))
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// The report, with the targets of issue 12.
pub(crate) fn cli_table(r: &CliReport, tokens: usize) -> String {
    let mut s = String::new();
    let ratio = r.one_core.cpu / r.openssl_one_core;
    let scale = r.all_cores.wall / r.one_core.wall;
    let _ = writeln!(
        s,
        "clerk-m2m verify --json --jwt-key KEY -: {tokens} distinct RS256-2048 M2M JWTs, output to /dev/null (load {:.2} before, {:.2} after)",
        r.load_before, r.load_after
    );
    let _ = writeln!(
        s,
        "rates per CPU second (openssl speed divides by CPU time too) and, in brackets, per wall second"
    );
    let _ = writeln!(
        s,
        "one core (taskset -c 0):   clerk-m2m {:>10}/s ({}/s)   openssl speed rsa2048 verify {:>10}/s   {ratio:.2}x openssl (target >= 0.80)",
        si(r.one_core.cpu),
        si(r.one_core.wall),
        si(r.openssl_one_core)
    );
    let _ = writeln!(
        s,
        "one core, --cache-entries 0: clerk-m2m {:>10}/s ({}/s)   {:.2}x openssl (target >= 0.80)",
        si(r.one_core_no_cache.cpu),
        si(r.one_core_no_cache.wall),
        r.one_core_no_cache.cpu / r.openssl_one_core
    );
    let _ = writeln!(
        s,
        "all {} cores:               clerk-m2m {:>10}/s wall   openssl speed -multi {} verify {:>10}/s   {scale:.2}x one core by wall time (target >= 1.80)",
        r.cores,
        si(r.all_cores.wall),
        r.cores,
        si(r.openssl_all_cores)
    );
    if let Some((n, kib)) = r.peak_rss_kib {
        let _ = writeln!(
            s,
            "peak RSS over {n} tokens:  {:.1} MiB (target < 64 MiB)",
            mib(kib)
        );
    }
    if let Some(rep) = r.repeated {
        let (sized, rate) = rep.sized_cache;
        for (what, rate) in [
            ("default --cache-entries".to_owned(), rep.default_cache),
            (format!("--cache-entries {sized}"), rate),
        ] {
            let _ = writeln!(
                s,
                "{} lines of {} distinct tokens, one core, {what}: clerk-m2m {:>10}/s ({}/s)   {:.2}x openssl (target >= 4.00), peak RSS {:.1} MiB",
                rep.lines,
                rep.distinct,
                si(rate.cpu),
                si(rate.wall),
                rate.cpu / r.openssl_one_core,
                mib(rate.peak_rss_kib)
            );
        }
    }
    s
}

#[allow(clippy::cast_precision_loss)]
fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
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
    fn bench_pipeline_takes_only_numeric_rounds_and_batch() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(check_pipeline_args(&args(&[])).is_ok());
        assert!(check_pipeline_args(&args(&["--rounds", "10", "--batch", "0"])).is_ok());
        for bad in [
            &["--rounds"][..],
            &["--rounds", "x"],
            &["--rounds", "-1"],
            &["--rounds", "99999999999"],
            &["--runs", "3"],
            &["10"],
        ] {
            let e = check_pipeline_args(&args(bad)).unwrap_err().to_string();
            assert!(e.contains("takes --rounds N and --batch N"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn the_bench_executable_is_found_among_cargo_messages() {
        let out = [
            r#"{"reason":"compiler-artifact","target":{"name":"ratio","kind":["lib"]},"executable":null}"#,
            "not json",
            r#"{"reason":"compiler-artifact","target":{"name":"verify","kind":["bench"]},"executable":"/t/verify-1"}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"ratio","kind":["bench"]},"executable":"/t/ratio-2"}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        assert_eq!(
            bench_executable(&out, "ratio"),
            Some(PathBuf::from("/t/ratio-2"))
        );
        assert_eq!(bench_executable(&out, "resolve"), None);
    }

    #[test]
    fn openssl_speed_verify_rate_is_the_last_column_of_the_rsa_2048_row() {
        let out = "version: 3.0.19\n                  sign    verify    sign/s verify/s\nrsa 2048 bits 0.000683s 0.000020s   1464.1  49070.2\n";
        assert_eq!(parse_openssl_verify(out), Some(49070.2));
        assert_eq!(
            parse_openssl_verify("rsa 4096 bits 0.1s 0.1s 1.0 2.0\n"),
            None
        );
        assert_eq!(parse_openssl_verify(""), None);
    }

    #[test]
    fn cli_table_reports_ratios_against_the_targets() {
        let r = CliReport {
            cores: 2,
            one_core: Rate {
                wall: 40_000.0,
                cpu: 40_000.0,
                peak_rss_kib: 50 * 1024,
            },
            one_core_no_cache: Rate {
                wall: 41_000.0,
                cpu: 41_000.0,
                peak_rss_kib: 50 * 1024,
            },
            openssl_one_core: 50_000.0,
            all_cores: Rate {
                wall: 76_000.0,
                cpu: 40_000.0,
                peak_rss_kib: 50 * 1024,
            },
            openssl_all_cores: 98_000.0,
            peak_rss_kib: Some((1_000_000, 20 * 1024)),
            repeated: Some(Repeated {
                distinct: 20_000,
                lines: 1_000_000,
                default_cache: Rate {
                    wall: 30_000.0,
                    cpu: 30_000.0,
                    peak_rss_kib: 50 * 1024,
                },
                sized_cache: (
                    32_768,
                    Rate {
                        wall: 200_000.0,
                        cpu: 210_000.0,
                        peak_rss_kib: 50 * 1024,
                    },
                ),
            }),
            load_before: 0.5,
            load_after: 1.0,
        };
        let t = cli_table(&r, 50_000);
        assert!(t.contains("0.80x openssl"), "{t}");
        assert!(t.contains("1.90x one core"), "{t}");
        assert!(t.contains("20.0 MiB"), "{t}");
        assert!(t.contains("40.00k/s"), "{t}");
        assert!(
            t.contains("4.20x openssl (target >= 4.00), peak RSS 50.0 MiB"),
            "{t}"
        );
    }

    #[test]
    fn repeated_order_is_rounds_over_every_token_each_shuffled() {
        let order = repeated_order(100, 250);
        assert_eq!(order.len(), 250);
        for round in order.chunks(100).take(2) {
            let mut r = round.to_vec();
            r.sort_unstable();
            assert_eq!(r, (0..100).collect::<Vec<_>>());
        }
        assert_ne!(order[..100], order[100..200], "a new order each round");
        assert_eq!(order, repeated_order(100, 250), "the same input every run");
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
