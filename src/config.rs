//! Configuration: every option in one place, from flags or `KHO_*` environment variables.
//!
//! `kho --help` prints this list; docs/ARCHITECTURE.md points here.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// Options shared by every command.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Folder for the embedded deployment: the SQLite file and the object folder live here
    /// unless the two URLs below say otherwise.
    #[arg(long, env = "KHO_DATA_DIR", default_value = "kho-data", global = true)]
    pub data_dir: PathBuf,

    /// Database: `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`.
    /// Default: `sqlite://<data-dir>/kho.db`.
    /// A password in it is a secret: it is never printed.
    #[arg(long, env = "KHO_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<secrecy::SecretString>,

    /// Object store: `file:///ABS/PATH`, `s3://BUCKET/PREFIX` (credentials and endpoint from
    /// `AWS_*` variables or `KHO_S3_ENDPOINT`) or `memory://` (tests only: lost at exit).
    /// Default: `file://<data-dir>/objects`.
    #[arg(long, env = "KHO_OBJECT_STORE_URL", global = true)]
    pub object_store_url: Option<String>,

    /// Endpoint of an S3-compatible server (MinIO, Ceph RGW, Garage…); plain http allowed.
    #[arg(long, env = "KHO_S3_ENDPOINT", global = true)]
    pub s3_endpoint: Option<String>,

    /// Pipeline workers: jobs processed at once and Tesseract engines (one per thread).
    /// Default: the number of cores. `kho serve --workers 0` runs the API alone.
    #[arg(long, env = "KHO_WORKERS", global = true)]
    pub workers: Option<usize>,

    /// Tesseract's tessdata folder. Default: Tesseract's own.
    #[arg(long, env = "KHO_TESSDATA", global = true)]
    pub tessdata: Option<String>,

    /// Tesseract languages. `vie` alone reads Vietnamese results better than `vie+eng`
    /// (measured on realistic and grey pages; see docs/ARCHITECTURE.md).
    #[arg(long, env = "KHO_OCR_LANGUAGES", default_value = "vie", global = true)]
    pub ocr_languages: String,

    /// Longest Tesseract may spend reading one page, in milliseconds; a page that takes
    /// longer fails its job with that reason.
    #[arg(long, env = "KHO_OCR_PAGE_TIMEOUT_MS", default_value_t = 120_000, global = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub ocr_page_timeout_ms: u64,

    /// `kho serve` signs the audit trail's head as a checkpoint this often, in seconds,
    /// when it moved (0: never; `kho audit checkpoint` does it by hand).
    #[arg(
        long,
        env = "KHO_AUDIT_CHECKPOINT_SECS",
        default_value_t = 3600,
        global = true
    )]
    pub audit_checkpoint_secs: u64,

    /// Largest scan upload (all files of one request), in bytes.
    #[arg(long, env = "KHO_MAX_UPLOAD_BYTES", default_value_t = 200 * 1024 * 1024, global = true)]
    pub max_upload_bytes: usize,

    /// Largest PDF the public verifier (`POST /api/v1/verify`) takes, in bytes.
    #[arg(long, env = "KHO_MAX_VERIFY_BYTES", default_value_t = 64 * 1024 * 1024, global = true)]
    pub max_verify_bytes: usize,

    /// A header that a reverse proxy in front of Kho sets to the client's address (for
    /// example `x-forwarded-for`; its last entry is taken). Sign-in limits per address
    /// use it. Leave it unset unless every request comes through such a proxy: a client
    /// could otherwise claim any address.
    #[arg(long, env = "KHO_CLIENT_IP_HEADER", global = true)]
    pub client_ip_header: Option<String>,

    /// A bearer token that may read `/metrics` from any address (a secret: keep it in
    /// the secret store).
    #[arg(long, env = "KHO_METRICS_TOKEN", global = true, hide_env_values = true)]
    pub metrics_token: Option<secrecy::SecretString>,

    /// Networks that may read `/metrics` without the token, comma-separated CIDRs.
    #[arg(long, env = "KHO_METRICS_ALLOW", default_value = "127.0.0.0/8,::1/128",
          global = true, value_parser = parse_networks)]
    pub metrics_allow: Networks,

    /// Also read separator sheets of the first format (`KHO-SEP/1`), which carry no
    /// MAC: anyone could print one naming any owner. Only for stacks prepared before
    /// the authenticated format.
    #[arg(long, env = "KHO_ACCEPT_UNSIGNED_SEPARATORS", global = true)]
    pub accept_unsigned_separators: bool,

    /// Heavy requests (verifying a PDF, reading a QR photo, taking an upload) one process
    /// runs at once; past it they are answered 503 with Retry-After.
    #[arg(
        long,
        env = "KHO_MAX_HEAVY_REQUESTS",
        default_value_t = 8,
        global = true
    )]
    pub max_heavy_requests: usize,

    /// Attempts a job gets before it is marked failed.
    #[arg(long, env = "KHO_JOB_MAX_ATTEMPTS", default_value_t = 5, global = true)]
    pub job_max_attempts: u32,

    /// Seconds a claimed job stays leased without a heartbeat before another worker may take it.
    #[arg(long, env = "KHO_JOB_LEASE_SECS", default_value_t = 60, global = true)]
    pub job_lease_secs: u64,

    /// First retry delay in milliseconds; it doubles with each attempt (capped at 10 minutes).
    #[arg(
        long,
        env = "KHO_JOB_RETRY_BASE_MS",
        default_value_t = 2000,
        global = true
    )]
    pub job_retry_base_ms: u64,

    /// How often an idle worker looks for new jobs, in milliseconds.
    #[arg(long, env = "KHO_JOB_POLL_MS", default_value_t = 1000, global = true)]
    pub job_poll_ms: u64,

    /// Quality gate: a page with text read below this mean word confidence (0-100)
    /// sends its document to review instead of on to signing and filing.
    #[arg(long, env = "KHO_REVIEW_MIN_CONFIDENCE", default_value_t = 70.0, global = true,
          value_parser = parse_confidence)]
    pub review_min_confidence: f32,

    /// Quality gate: a required field whose words were read below this confidence
    /// (0-100) sends its document to review.
    #[arg(long, env = "KHO_REVIEW_MIN_FIELD_CONFIDENCE", default_value_t = 50.0, global = true,
          value_parser = parse_confidence)]
    pub review_min_field_confidence: f32,

    /// Quality gate: fields every document must have, comma-separated, from doc_type,
    /// number, issued_on, place, issuer (empty: none); a document without one goes to review.
    #[arg(long, env = "KHO_REQUIRED_FIELDS", default_value = "doc_type,number,issued_on",
          global = true, value_parser = parse_required_fields)]
    pub required_fields: RequiredFields,

    /// Who runs this deployment, named on the home page (e.g. `Sở Nội vụ tỉnh Ninh Bình`).
    #[arg(
        long,
        env = "KHO_DEPLOYMENT_NAME",
        default_value = "Kho",
        global = true
    )]
    pub deployment_name: String,

    /// Let the first-run setup link (printed by `kho serve` while no admin account
    /// exists) work from other machines too; by default only from this one.
    #[arg(long, env = "KHO_SETUP_PUBLIC", global = true)]
    pub setup_public: bool,

    /// Public base URL of this deployment, written into certificates (the CRL
    /// distribution point) and into the QR code of signed documents (verification URL).
    #[arg(
        long,
        env = "KHO_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub public_url: String,

    /// Key-encryption key (32 bytes, base64) that seals the signing keys at rest. Without
    /// it, KHO_KEK_FILE is used.
    #[arg(long, env = "KHO_KEK", global = true, hide_env_values = true)]
    pub kek: Option<secrecy::SecretString>,

    /// File holding the key-encryption key (default DATA_DIR/kek.key; created on first
    /// start when missing, readable by its owner only).
    #[arg(long, env = "KHO_KEK_FILE", global = true)]
    pub kek_file: Option<PathBuf>,

    /// Issuing agencies, `CODE=Full name` separated by `;`. Each gets a seal certificate;
    /// the first is the default for uploads by callers bound to no agency.
    #[arg(long, env = "KHO_AGENCIES", default_value = "KHO=Trung tâm Lưu trữ số Kho",
          global = true, value_parser = parse_agencies)]
    pub agencies: Agencies,

    /// Algorithm of the keys Kho makes where there are none yet (the root, an agency's
    /// first seal and office key): `ed25519` (PureEdDSA, ISO 32002; pyHanko and Kho
    /// validate it) or `p256` (ECDSA P-256 with SHA-256; Poppler's `pdfsig`, Okular,
    /// Evince and Adobe validate it too). `kho keys rotate --algorithm` changes one agency.
    #[arg(long, env = "KHO_SEAL_ALGORITHM", value_enum, default_value_t = crate::signing::key::SealAlgorithm::Ed25519, global = true)]
    pub seal_algorithm: crate::signing::key::SealAlgorithm,

    /// Root certificates (PEM) of issuing agencies whose systems push born-digital signed
    /// results; a pushed PDF must verify VALID against these or this deployment's roots,
    /// and the public verifier trusts them too.
    #[arg(long, env = "KHO_ISSUER_ROOTS", global = true)]
    pub issuer_roots: Option<PathBuf>,

    /// Per issuing agency, the root certificates (PEM) its own signing system's
    /// certificates chain to: `CODE=/path/roots.pem` separated by `;`. A result an
    /// agency's issuing system pushes must be signed by Kho's keys of that agency or by
    /// a certificate under one of these roots — not another agency's. The public
    /// verifier trusts them too.
    #[arg(long, env = "KHO_AGENCY_ROOTS", global = true, value_parser = parse_agency_roots)]
    pub agency_roots: Option<AgencyRoots>,

    /// An external RFC 3161 time-stamping authority (`http(s)://…`, answering a `POST`
    /// of `application/timestamp-query`) that stamps every seal and filed document.
    /// Default: this deployment's own TSA, in-process (also served at
    /// `POST /api/v1/tsa`). If it does not answer, filing fails and the job is retried.
    #[arg(long, env = "KHO_TSA_URL", global = true)]
    pub tsa_url: Option<String>,

    /// Root certificates (PEM) of the external TSA's certificate (`--tsa-url`): trusted
    /// for timestamps only, never for signatures.
    #[arg(long, env = "KHO_TSA_ROOTS", global = true)]
    pub tsa_roots: Option<PathBuf>,

    /// Log format.
    #[arg(long, env = "KHO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// A list of networks (`--metrics-allow`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Networks(pub Vec<ipnet::IpNet>);

fn parse_networks(s: &str) -> Result<Networks, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{p:?} is not a network (CIDR) or an address"))
        })
        .collect::<Result<_, _>>()
        .map(Networks)
}

/// The `--agencies` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agencies(pub Vec<crate::signing::keys::Agency>);

fn parse_agencies(s: &str) -> Result<Agencies, String> {
    let mut out = Vec::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, name) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?} is not CODE=Full name"))?;
        let code = code.trim();
        if code.is_empty()
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "agency code {code:?}: letters, digits, - and _ only"
            ));
        }
        out.push(crate::signing::keys::Agency {
            code: code.to_owned(),
            name: name.trim().to_owned(),
        });
    }
    if out.is_empty() {
        return Err("at least one agency is needed".into());
    }
    Ok(Agencies(out))
}

/// The `--agency-roots` list: agency code and PEM file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyRoots(pub Vec<(String, PathBuf)>);

impl AgencyRoots {
    /// The files configured for `agency`.
    pub fn of<'a>(&'a self, agency: &'a str) -> impl Iterator<Item = &'a PathBuf> + 'a {
        self.0
            .iter()
            .filter(move |(a, _)| a == agency)
            .map(|(_, p)| p)
    }
}

fn parse_agency_roots(s: &str) -> Result<AgencyRoots, String> {
    let mut out = Vec::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, path) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?} is not CODE=/path/roots.pem"))?;
        let (code, path) = (code.trim(), path.trim());
        if code.is_empty() || path.is_empty() {
            return Err(format!("{part:?} is not CODE=/path/roots.pem"));
        }
        out.push((code.to_owned(), PathBuf::from(path)));
    }
    Ok(AgencyRoots(out))
}

/// The `--required-fields` list, checked against the fields the pipeline extracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredFields(pub Vec<String>);

fn parse_required_fields(s: &str) -> Result<RequiredFields, String> {
    let names: Vec<String> = s
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    for n in &names {
        if !kho_workers::gate::FIELD_NAMES.contains(&n.as_str()) {
            return Err(format!(
                "unknown field {n:?}; known: {}",
                kho_workers::gate::FIELD_NAMES.join(", ")
            ));
        }
    }
    Ok(RequiredFields(names))
}

fn parse_confidence(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a confidence between 0 and 100")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    /// The server's operator filing for `agency` (`kho ingest`, `kho watch`): the one
    /// named, which must be configured, or the only one configured. With several
    /// agencies and none named nothing is guessed.
    pub fn operator(&self, agency: Option<&str>) -> Result<crate::domain::Uploader, String> {
        let agencies = &self.agencies.0;
        match agency {
            Some(code) if agencies.iter().any(|a| a.code == code) => {
                Ok(crate::domain::Uploader::operator(code))
            }
            Some(code) => Err(format!("--agency {code}: not in KHO_AGENCIES")),
            None if agencies.len() == 1 => Ok(crate::domain::Uploader::operator(&agencies[0].code)),
            None => Err(format!(
                "several agencies are configured ({}): say which one files these with --agency CODE",
                agencies
                    .iter()
                    .map(|a| a.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The key-encryption key given in the configuration (base64), if any.
    pub fn kek_base64(&self) -> Option<&str> {
        use secrecy::ExposeSecret;
        self.kek.as_ref().map(|k| k.expose_secret())
    }

    pub fn database_url(&self) -> String {
        use secrecy::ExposeSecret;
        self.database_url.as_ref().map_or_else(
            || {
                format!(
                    "sqlite://{}?mode=rwc",
                    absolute(&self.data_dir.join("kho.db")).display()
                )
            },
            |url| url.expose_secret().to_owned(),
        )
    }

    pub fn object_store_url(&self) -> String {
        self.object_store_url.clone().unwrap_or_else(|| {
            format!(
                "file://{}",
                absolute(&self.data_dir.join("objects")).display()
            )
        })
    }

    pub fn worker_count(&self) -> usize {
        self.workers.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.job_lease_secs.max(1))
    }

    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.job_poll_ms.max(10))
    }

    /// Delay before attempt `attempts + 1`, after `attempts` failures.
    pub fn retry_delay(&self, attempts: u32) -> Duration {
        let factor = 1u64 << attempts.saturating_sub(1).min(20);
        Duration::from_millis(self.job_retry_base_ms.saturating_mul(factor).min(600_000))
    }

    pub fn kek_file(&self) -> PathBuf {
        self.kek_file
            .clone()
            .unwrap_or_else(|| absolute(&self.data_dir.join("kek.key")))
    }

    pub fn gate(&self) -> kho_workers::gate::GateConfig {
        kho_workers::gate::GateConfig {
            min_page_confidence: self.review_min_confidence,
            required_fields: self.required_fields.0.clone(),
            min_field_confidence: self.review_min_field_confidence,
        }
    }

    pub fn pipeline(&self) -> kho_workers::PipelineConfig {
        kho_workers::PipelineConfig {
            threads: self.worker_count().max(1),
            tessdata: self.tessdata.clone(),
            languages: self.ocr_languages.clone(),
            ocr_page_limit: Duration::from_millis(self.ocr_page_timeout_ms),
            ..Default::default()
        }
    }
}

fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[test]
    fn secrets_in_the_configuration_are_never_printed() {
        let kek = "c2VjcmV0LWtleS1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcw==";
        let cli = crate::cli::Cli::try_parse_from([
            "kho",
            "--kek",
            kek,
            "--metrics-token",
            "scrape-me-9f2c",
            "--database-url",
            "postgres://kho:db-pass-77e1@127.0.0.1:5432/kho",
            "migrate",
        ])
        .unwrap();
        let shown = format!("{:?}", cli.config);
        assert!(!shown.contains(kek), "{shown}");
        assert!(!shown.contains("scrape-me-9f2c"), "{shown}");
        assert!(!shown.contains("db-pass-77e1"), "{shown}");
        assert_eq!(
            cli.config.database_url(),
            "postgres://kho:db-pass-77e1@127.0.0.1:5432/kho"
        );
        assert!(shown.contains("data_dir"), "{shown}");
    }
}
