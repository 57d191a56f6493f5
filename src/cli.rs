//! The `kho` command line. `kho --help` and `kho COMMAND --help` list every option with
//! its `KHO_*` environment variable (see [`crate::config::Config`]).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::auth::Role;
use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "kho",
    version,
    about = "Kho: digital-records vault with a digitization pipeline",
    long_about = "Kho: digital-records vault with a digitization pipeline.\n\n\
    Embedded default: everything under KHO_DATA_DIR (SQLite file + object folder), workers \
    in-process. Scale-out: KHO_DATABASE_URL=postgres://… and KHO_OBJECT_STORE_URL=s3://…, \
    any number of `kho serve` and `kho worker` processes."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API with in-process workers (migrations are applied first).
    Serve {
        /// Address to listen on; port 0 picks a free port (printed at start).
        #[arg(long, env = "KHO_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
    },
    /// Run pipeline workers only, against the same database and object store.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage API tokens.
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// The audit trail: a hash chain of every security-relevant event.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Back up the database and the objects into DIR: a consistent database snapshot
    /// (SQLite `VACUUM INTO`, or `pg_dump`), then every object not yet in DIR/objects.
    /// The key-encryption key is not included: keep it apart.
    Backup {
        /// The backup folder (created; backing up into it again copies only new objects).
        dir: PathBuf,
    },
    /// Restore a backup made by `kho backup` into this deployment, whose database must be
    /// new and empty (and of the backup's kind); every object is checked against its hash
    /// and every document's PDF is read back. Give it the same key-encryption key.
    Restore {
        /// The backup folder.
        dir: PathBuf,
    },
    /// Verify a signed PDF offline. Exit status 0 only when the verdict is VALID.
    Verify {
        /// The PDF to verify.
        file: PathBuf,
        /// Trusted root certificates (PEM); default: this deployment's roots.
        #[arg(long)]
        trust: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage accounts for the web pages (citizens, organization members, staff, officers,
    /// admins).
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Register requester systems: online applications that reuse documents with the
    /// owner's consent (OAuth 2.0 clients).
    Requesters {
        #[command(subcommand)]
        command: RequestersCommand,
    },
    /// Ingest what network scanners drop into a folder: a file is taken once it is
    /// complete (not *.part/*.tmp/hidden, unchanged for --settle-ms), filed, then moved to
    /// DIR/done/ or DIR/failed/ (with NAME.error.txt). Runs workers here; stop with Ctrl-C.
    Watch {
        /// The folder scanners write into.
        dir: PathBuf,
        /// Owner of the files (or, with --split, of pages before a stack's first sheet).
        #[arg(long, required_unless_present_any = ["split", "manifest"])]
        owner: Option<String>,
        /// Each file is a stack cut at its separator sheets.
        #[arg(long)]
        split: bool,
        /// A CSV manifest for the files that will arrive (see `kho ingest --manifest`).
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// How often to look, in milliseconds.
        #[arg(long, default_value_t = 1000)]
        interval_ms: u64,
        /// How long a file must stay unchanged before it is taken, in milliseconds.
        #[arg(long, default_value_t = 3000)]
        settle_ms: u64,
        /// Take what is complete now, then exit (exit 1 if any file failed).
        #[arg(long)]
        once: bool,
        /// The agency these documents are filed, sealed and reviewed by (a code in
        /// KHO_AGENCIES); needed when more than one agency is configured.
        #[arg(long)]
        agency: Option<String>,
    },
    /// Print a separator sheet: put it on top of a document's pages in a scanned stack,
    /// and `kho ingest --split` files those pages for the owner it names.
    Separator {
        /// The owner of the document that follows the sheet (personal ID or tax code).
        #[arg(long)]
        owner: String,
        /// The document type, printed on the sheet and carried in its code.
        #[arg(long = "type")]
        doc_type: Option<String>,
        /// Where to write the sheet (PDF).
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
    /// Manage signing keys and certificates.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Keep filed documents verifiable for decades (PAdES B-LTA).
    Archive {
        #[command(subcommand)]
        command: ArchiveCommand,
    },
    /// Digitize files through the pipeline. Each file (PNG, JPEG, TIFF, PDF; a
    /// multi-page TIFF or PDF is one document) becomes one document; a folder or a ZIP
    /// archive contributes its files in name order. With --split, each file is a scanned stack cut at its
    /// separator sheets (`kho separator`), blank pages dropped.
    Ingest {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Owner: a personal ID (12 digits) or a tax code. Required, except with --split
        /// (where it owns the pages before a stack's first separator sheet) or a
        /// --manifest naming the owners.
        #[arg(long, required_unless_present_any = ["split", "manifest"])]
        owner: Option<String>,
        /// Cut each file at its separator sheets: every sheet starts a document for the
        /// owner it names.
        #[arg(long, conflicts_with = "one_document")]
        split: bool,
        /// A CSV manifest: per file (or page range of a stack) the owner, type, number,
        /// issued_on, valid_from, valid_to and procedure code; it takes precedence over
        /// extraction and over the separator sheet's owner.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Write a batch report: per document pages, owner, fields, confidence, state and
        /// reasons; totals and throughput. CSV when FILE ends in .csv, JSON otherwise.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Treat all the files as the pages of a single document, in the order given.
        #[arg(long)]
        one_document: bool,
        /// Run workers here and wait until every document is filed or failed (exit 1 if
        /// any failed). Without it, a running `kho serve` or `kho worker` picks the jobs up.
        #[arg(long)]
        wait: bool,
        /// The agency these documents are filed, sealed and reviewed by (a code in
        /// KHO_AGENCIES); needed when more than one agency is configured.
        #[arg(long)]
        agency: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create a token and print it (only its hash is stored).
    Create {
        #[arg(long, value_enum)]
        role: Role,
        /// The subject a citizen or org_member token acts for (personal ID or tax code).
        #[arg(long)]
        subject: Option<String>,
        /// The agency a staff or issuer token belongs to.
        #[arg(long)]
        agency: Option<String>,
        /// For an org_member token: `admin` (gives consents, sees the access log) or
        /// `member` (reads the organization's documents).
        #[arg(long, value_parser = ["admin", "member"])]
        org_role: Option<String>,
        /// For a staff token: the staff member's full name. A personal certificate is
        /// issued for them (under --agency) and signs for custody what they upload.
        #[arg(long, requires = "agency")]
        name: Option<String>,
        /// When the token stops working: a number of days from now (`90`) or a date
        /// (`2027-06-30`, the end of that day UTC). Without it the token lasts until
        /// revoked.
        #[arg(long, value_parser = crate::cli::parse_expiry)]
        expires: Option<i64>,
    },
    /// List tokens: id, role, subject, agency, created, expires, revoked (never the
    /// token itself, which is not stored).
    List,
    /// Revoke a token by its id (from `kho tokens list`): it stops working at once.
    Revoke {
        /// The token's id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account (the first admin, staff, citizens, organization members). The
    /// password comes from KHO_PASSWORD, or else the first line of standard input.
    Create {
        #[arg(long, value_enum)]
        role: Role,
        /// Sign-in name: 3 to 64 letters, digits, '.', '-', '_' or '@'.
        #[arg(long)]
        username: String,
        /// The subject a citizen or org_member acts for (personal ID or tax code).
        #[arg(long)]
        subject: Option<String>,
        /// The agency a staff member or issuer belongs to (a code from KHO_AGENCIES).
        #[arg(long)]
        agency: Option<String>,
        /// For an org_member: `admin` or `member` of the organization.
        #[arg(long, value_parser = ["admin", "member"])]
        org_role: Option<String>,
        /// The person's full name, shown on pages.
        #[arg(long)]
        name: Option<String>,
    },
    /// Disable an account: it can no longer sign in, and its sessions end at once.
    Disable {
        /// The account's sign-in name.
        username: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RequestersCommand {
    /// Register a requester system; prints its client id and client secret (the secret
    /// is shown once; only its hash is stored).
    Create {
        /// The name citizens see on the consent page, e.g. "Cổng Dịch vụ công quốc gia".
        #[arg(long)]
        name: String,
        /// An exact redirect URI the requester may use (repeat for several).
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
    },
    /// Disable a requester system: no new consents, no token exchange, and its access
    /// tokens stop working at once.
    Disable {
        /// The requester's client id.
        client_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the chain from the first event to the head. Exit status 0 when intact; 1,
    /// naming the first broken link, when an event was edited, deleted, inserted or
    /// reordered — or when the chain no longer passes through a signed checkpoint, or a
    /// checkpoint's signature is bad.
    Verify,
    /// Sign the chain's head now with the default agency's seal and keep it as a
    /// checkpoint (`kho serve` does this every --audit-checkpoint-secs).
    Checkpoint,
}

#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// Renew the long-term proof of every document whose last document timestamp's
    /// certificate ends within --within-days (or that has none yet): append today's
    /// revocation data and a new document timestamp. Earlier signatures and copies stay
    /// valid. Run it from cron, e.g. monthly; exits 1 when a document could not be renewed.
    Refresh {
        /// Renew what ends within this many days.
        #[arg(long, default_value_t = 365)]
        within_days: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create the deployment root and, for each configured agency (KHO_AGENCIES), its seal
    /// and digitization-office certificates, where missing (also done on first start).
    Init,
    /// List keys and certificates: kind, name, agency, serial, created, retired, revoked.
    List {
        /// Print the certificates' PEM too.
        #[arg(long)]
        pem: bool,
    },
    /// Issue a personal certificate for a staff member of an agency.
    IssueStaff {
        /// The staff member's full name (the certificate's common name).
        #[arg(long)]
        name: String,
        /// Agency code from KHO_AGENCIES.
        #[arg(long)]
        agency: String,
    },
    /// Revoke a key's certificate: it is listed in the CRL, and the verifier reports
    /// REVOKED for what it signed.
    Revoke {
        /// The key id (from `kho keys list`).
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Retire an agency's seal (kept for verifying what it signed) and issue a new one.
    Rotate {
        /// Agency code from KHO_AGENCIES.
        #[arg(long)]
        agency: String,
        /// Algorithm of the new seal (default: the retired seal's). `p256` seals are
        /// validated by desktop PDF readers (Poppler, Adobe); changing it renews the
        /// agency's office key with the same algorithm.
        #[arg(long, value_enum)]
        algorithm: Option<crate::signing::key::SealAlgorithm>,
    },
}

/// `--expires`: days from now (`90`) or a date (`2027-06-30`, until the end of that
/// day, UTC), as Unix milliseconds.
pub fn parse_expiry(s: &str) -> Result<i64, String> {
    let now = crate::db::now_ms();
    if let Ok(days) = s.parse::<i64>() {
        if !(1..=3650).contains(&days) {
            return Err("1 to 3650 days".into());
        }
        return Ok(now + days * 86_400_000);
    }
    let date = crate::domain::parse_date(s).ok_or("a number of days or a date YYYY-MM-DD")?;
    let end = (crate::domain::epoch_days(date) + 1) * 86_400_000;
    if end <= now {
        return Err(format!("{s} is in the past"));
    }
    Ok(end)
}
