//! Fault injection: the `--faults` spec (`429:0.1,500:0.05,drop:0.02,
//! latency:20ms,stale:0.05`), the seeded random numbers that decide, per
//! request, which fault (if any) it meets, and the counts of faults given.

use std::time::Duration;

/// What `--faults` asks for. Probabilities are per request, 0 to 1.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    /// Answer 429 with `Retry-After: 1`.
    pub too_many: f64,
    /// Answer 500.
    pub server_error: f64,
    /// Close the connection without answering (half of them after the
    /// write is applied).
    pub drop: f64,
    /// Answer 412 to a request with `If-Match`, as if the object had been
    /// changed by hand.
    pub stale: f64,
    /// Sleep this long before answering every request.
    pub latency: Duration,
}

impl FaultSpec {
    /// Parse `KIND:VALUE,...`; an empty spec (or `none`) injects nothing.
    pub fn parse(spec: &str) -> Result<FaultSpec, String> {
        let mut faults = FaultSpec::default();
        let spec = spec.trim();
        if spec.is_empty() || spec == "none" {
            return Ok(faults);
        }
        let mut seen = Vec::new();
        for item in spec.split(',').map(str::trim) {
            let (kind, value) = item.split_once(':').ok_or_else(|| {
                format!("fault `{item}` has no value; write KIND:VALUE, e.g. `429:0.1` or `latency:20ms`")
            })?;
            if seen.contains(&kind) {
                return Err(format!(
                    "fault `{kind}` is given twice; give each kind once (e.g. `{kind}:{value}`)"
                ));
            }
            seen.push(kind);
            if kind == "latency" {
                faults.latency = parse_duration(value)?;
                continue;
            }
            let p: f64 = value
                .parse()
                .ok()
                .filter(|p: &f64| (0.0..=1.0).contains(p))
                .ok_or_else(|| {
                    format!("fault `{item}`: `{value}` is not a probability from 0 to 1")
                })?;
            match kind {
                "429" => faults.too_many = p,
                "500" => faults.server_error = p,
                "drop" => faults.drop = p,
                "stale" => faults.stale = p,
                _ => {
                    return Err(format!(
                        "unknown fault `{kind}`; the kinds are 429, 500, drop, stale and latency"
                    ))
                }
            }
        }
        Ok(faults)
    }
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    let (number, unit) = if let Some(n) = value.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000)
    } else {
        (value, 1)
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|ms| *ms <= 60_000)
        .map(Duration::from_millis)
        .ok_or_else(|| {
            format!("latency `{value}` is not a duration such as `20ms` or `1s` (at most 60s)")
        })
}

/// A small seeded generator (SplitMix64): the same seed gives the same
/// faults in the same order.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// SplitMix64's finaliser: a well-spread hash of `x`.
pub fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The fault one request meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    TooMany,
    ServerError,
    /// Close without answering; `true`: apply the write first.
    Drop(bool),
    Stale,
}

impl Fault {
    /// The name counted in `/_emulator/stats`' `faults_injected`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::TooMany => "429",
            Fault::ServerError => "500",
            Fault::Drop(_) => "drop",
            Fault::Stale => "stale",
        }
    }
}

/// Draw the fault of one request. Every kind draws a number whether or not
/// it applies, so the sequence does not depend on which faults are on.
pub fn draw(spec: &FaultSpec, rng: &mut Rng, has_if_match: bool) -> Fault {
    let drop = rng.unit() < spec.drop;
    let after_write = rng.unit() < 0.5;
    let too_many = rng.unit() < spec.too_many;
    let server_error = rng.unit() < spec.server_error;
    let stale = rng.unit() < spec.stale;
    if drop {
        Fault::Drop(after_write)
    } else if too_many {
        Fault::TooMany
    } else if server_error {
        Fault::ServerError
    } else if stale && has_if_match {
        Fault::Stale
    } else {
        Fault::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_spec() {
        let spec = FaultSpec::parse("429:0.1,500:0.05,drop:0.02,latency:20ms,stale:0.05");
        assert_eq!(
            spec,
            Ok(FaultSpec {
                too_many: 0.1,
                server_error: 0.05,
                drop: 0.02,
                stale: 0.05,
                latency: Duration::from_millis(20),
            })
        );
        assert_eq!(FaultSpec::parse(""), Ok(FaultSpec::default()));
        assert!(FaultSpec::parse("429:2").is_err());
        assert!(FaultSpec::parse("boom:0.1").is_err());
        assert!(FaultSpec::parse("429").is_err());
        assert!(FaultSpec::parse("latency:soon").is_err());
    }

    #[test]
    fn draws_follow_the_probabilities_and_the_seed() {
        let spec = FaultSpec::parse("500:0.5").unwrap_or_default();
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let first: Vec<Fault> = (0..200).map(|_| draw(&spec, &mut a, false)).collect();
        let second: Vec<Fault> = (0..200).map(|_| draw(&spec, &mut b, false)).collect();
        assert_eq!(first, second);
        let errors = first.iter().filter(|f| **f == Fault::ServerError).count();
        assert!((60..140).contains(&errors), "{errors} of 200");
        let always = FaultSpec::parse("stale:1").unwrap_or_default();
        assert_eq!(draw(&always, &mut a, false), Fault::None);
        assert_eq!(draw(&always, &mut a, true), Fault::Stale);
    }
}
