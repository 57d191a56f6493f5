//! The `kho` binary: parse the command line and run the command (see `kho --help`).

use clap::Parser;
use kho::cli::{
    ArchiveCommand, AuditCommand, Cli, Command, KeysCommand, RequestersCommand, TokensCommand,
    UsersCommand,
};
use kho::config::LogFormat;
use kho::{App, db, ingest, server};

fn main() -> anyhow::Result<()> {
    kho::ocr_env::ensure_single_threaded_tesseract()?;
    let cli = Cli::parse();
    init_logging(cli.config.log_format);
    let runtime = tokio::runtime::Runtime::new()?;
    let code = runtime.block_on(run(cli))?;
    std::process::exit(code);
}

async fn run(cli: Cli) -> anyhow::Result<i32> {
    let workers = cli.config.worker_count();
    match cli.command {
        Command::Migrate => {
            let d = db::Db::connect(&cli.config.database_url()).await?;
            d.migrate().await?;
            println!("migrations applied");
        }
        Command::Serve { addr } => {
            server::serve(App::open(cli.config).await?, &addr, workers).await?
        }
        Command::Worker => server::work(App::open(cli.config).await?, workers.max(1)).await?,
        Command::Tokens {
            command: command @ TokensCommand::Create { .. },
        } => create_token(cli.config, command).await?,
        Command::Users {
            command: command @ UsersCommand::Create { .. },
        } => create_user(cli.config, command).await?,
        Command::Tokens {
            command: TokensCommand::List,
        } => {
            let d = open_db(&cli.config).await?;
            for line in kho::credentials::token_lines(&d).await? {
                println!("{line}");
            }
        }
        Command::Tokens {
            command: TokensCommand::Revoke { id },
        } => {
            let d = open_db(&cli.config).await?;
            anyhow::ensure!(
                kho::credentials::revoke_token(&d, "-", &id).await?,
                "no live token with id {id} (see kho tokens list)"
            );
            println!("revoked {id}");
        }
        Command::Users {
            command: UsersCommand::Disable { username },
        } => {
            let d = open_db(&cli.config).await?;
            anyhow::ensure!(
                kho::credentials::disable_user(&d, "-", &username).await?,
                "no enabled account named {username}"
            );
            println!("disabled {username}; its sessions have ended");
        }
        Command::Requesters {
            command: RequestersCommand::Disable { client_id },
        } => {
            let d = open_db(&cli.config).await?;
            anyhow::ensure!(
                kho::credentials::disable_requester(&d, "-", &client_id).await?,
                "no enabled requester {client_id}"
            );
            println!("disabled {client_id}; its access tokens have ended");
        }
        Command::Requesters {
            command:
                RequestersCommand::Create {
                    name,
                    redirect_uris,
                },
        } => {
            let d = db::Db::connect(&cli.config.database_url()).await?;
            d.migrate().await?;
            let (client_id, secret) = kho::consent::register(&d, &name, &redirect_uris).await?;
            println!("client_id={client_id}");
            println!("client_secret={secret}");
        }
        command @ Command::Watch { .. } => return watch(cli.config, command).await,
        Command::Separator {
            owner,
            doc_type,
            output,
        } => {
            let sep = kho::separator::Separator {
                owner: parse_owner(&owner)?,
                doc_type: doc_type.filter(|t| !t.trim().is_empty()),
            };
            // The sheet is authenticated with a key derived from the deployment's KEK,
            // so only this deployment's sheets cut its stacks.
            let (kek, _) = kho::signing::kek::Kek::load(
                cli.config.kek_base64(),
                &cli.config.kek_file(),
                true,
            )?;
            let key = kho::separator::SheetKey::from_kek(&kek);
            let pdf = kho::separator::sheet_pdf(&sep, &key).map_err(anyhow::Error::msg)?;
            std::fs::write(&output, pdf)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", output.display()))?;
            println!("separator for {owner} written to {}", output.display());
        }
        Command::Verify { file, trust, json } => {
            let pdf = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            // With --trust: offline, roots from the file. Without: this deployment's roots
            // and the vault's view (status, revocation, byte-identical copy).
            let report = match trust {
                Some(path) => {
                    let pem = std::fs::read_to_string(&path)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                    let roots = kho::signing::certs::all_from_pem(&pem)?;
                    kho::verify::verify(&pdf, &roots)
                }
                None => kho::vault::verify(&App::open(cli.config).await?, pdf).await?,
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.to_text());
            }
            return Ok(if report.verdict == kho::verify::Verdict::Valid {
                0
            } else {
                1
            });
        }
        Command::Backup { dir } => {
            let done = kho::backup::backup(&cli.config, &dir).await?;
            println!(
                "backed up {} documents and {} objects ({} new) into {}",
                done.documents,
                done.objects,
                done.copied,
                dir.display()
            );
        }
        Command::Restore { dir } => {
            let done = kho::backup::restore(&cli.config, &dir).await?;
            println!(
                "restored {} documents and {} objects; every document's PDF reads back intact",
                done.documents, done.objects
            );
        }
        Command::Audit {
            command: AuditCommand::Checkpoint,
        } => match kho::audit::checkpoint(&App::open(cli.config).await?).await? {
            Some(c) => println!("checkpoint signed at event {}: {}", c.seq, c.hash),
            None => println!("nothing new to checkpoint"),
        },
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let d = db::Db::connect(&cli.config.database_url()).await?;
            d.migrate().await?;
            return Ok(match kho::audit::verify(&d).await? {
                Ok(intact) => {
                    println!(
                        "audit log intact: {} events, head {}",
                        intact.events, intact.head
                    );
                    0
                }
                Err(broken) => {
                    println!(
                        "audit log broken at event {}: {}",
                        broken.seq, broken.reason
                    );
                    1
                }
            });
        }
        Command::Archive {
            command: ArchiveCommand::Refresh { within_days },
        } => {
            let app = App::open(cli.config.clone()).await?;
            let summary = kho::archive::refresh(&app, within_days).await?;
            println!(
                "{} documents checked, {} renewed, {} failed",
                summary.checked,
                summary.refreshed,
                summary.failed.len()
            );
            for (id, why) in &summary.failed {
                println!("  {id}: {why}");
            }
            return Ok(if summary.failed.is_empty() { 0 } else { 1 });
        }
        Command::Keys { command } => keys(cli.config, command).await?,
        command @ Command::Ingest { .. } => return ingest(cli.config, command).await,
    }
    Ok(0)
}

/// `--owner ID`, checked.
/// The database, migrated, without the rest of the application.
async fn open_db(config: &kho::Config) -> anyhow::Result<db::Db> {
    let d = db::Db::connect(&config.database_url()).await?;
    d.migrate().await?;
    Ok(d)
}

fn parse_owner(id: &str) -> anyhow::Result<kho::domain::SubjectId> {
    kho::domain::SubjectId::parse(id).map_err(|e| anyhow::anyhow!("--owner: {e}"))
}

/// `--subject`, checked, and what a token or account of `role` must be bound to.
fn bound(
    role: kho::auth::Role,
    subject: Option<&str>,
    agency: Option<&str>,
    org_role: Option<&str>,
    config: &kho::Config,
) -> anyhow::Result<Option<kho::domain::SubjectId>> {
    let subject = subject
        .map(|s| kho::domain::SubjectId::parse(s).map_err(|e| anyhow::anyhow!("--subject: {e}")))
        .transpose()?;
    kho::auth::check_binding(role, subject.as_ref(), agency, org_role, &config.agencies.0)
        .map_err(anyhow::Error::msg)?;
    Ok(subject)
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KHO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// `kho keys …`: the keyring's commands.
async fn keys(config: kho::Config, command: KeysCommand) -> anyhow::Result<()> {
    let agency = |code: &str| {
        config
            .agencies
            .0
            .iter()
            .find(|a| a.code == code)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("--agency {code}: not in KHO_AGENCIES"))
    };
    let app = App::open(config.clone()).await?;
    match command {
        KeysCommand::Init => {
            let created = app.keys.ensure(&app.config.agencies.0).await?;
            println!("{} keys created", created.len());
            println!(
                "key-encryption key: {}",
                match &app.config.kek {
                    Some(_) => "KHO_KEK".to_owned(),
                    None => app.config.kek_file().display().to_string(),
                }
            );
        }
        KeysCommand::List { pem } => {
            for k in app.keys.list().await? {
                let state = match (k.revoked_at, k.retired_at) {
                    (Some(_), _) => "revoked",
                    (None, Some(_)) => "retired",
                    _ => "active",
                };
                println!(
                    "{:<7} {:<8} {:<10} {:<8} {}  serial {}  {}",
                    k.kind,
                    state,
                    k.agency.as_deref().unwrap_or("-"),
                    k.algorithm,
                    k.name,
                    k.serial,
                    k.id
                );
                if pem {
                    print!("{}", k.certificate_pem);
                }
            }
        }
        KeysCommand::IssueStaff { name, agency: code } => {
            let k = app.keys.issue_staff(&name, &agency(&code)?).await?;
            println!("{}  serial {}", k.id, k.serial);
        }
        KeysCommand::Revoke { id, reason } => {
            if !app.keys.revoke(&id, &reason).await? {
                anyhow::bail!("no unrevoked key {id}");
            }
            println!("revoked {id}");
        }
        KeysCommand::Rotate {
            agency: code,
            algorithm,
        } => {
            for k in app.keys.rotate_seal(&agency(&code)?, algorithm).await? {
                println!(
                    "new {} key {}  {}  serial {}",
                    k.kind, k.id, k.algorithm, k.serial
                );
            }
        }
    }
    Ok(())
}

/// `kho tokens create`: a token bound to what its role needs, printed once; a staff
/// token with `--name` gets its holder's personal certificate.
async fn create_token(config: kho::Config, command: TokensCommand) -> anyhow::Result<()> {
    let TokensCommand::Create {
        role,
        subject,
        agency,
        org_role,
        name,
        expires,
    } = command
    else {
        anyhow::bail!("not a token creation");
    };
    if name.is_some() && role != kho::auth::Role::Staff {
        anyhow::bail!("--name is for staff tokens (a personal signing certificate)");
    }
    let subject = bound(
        role,
        subject.as_deref(),
        agency.as_deref(),
        org_role.as_deref(),
        &config,
    )?;
    let app = App::open(config).await?;
    let new = db::tokens::NewToken {
        role,
        subject_id: subject.as_ref().map(|s| s.as_str()),
        agency: agency.as_deref(),
        org_role: org_role.as_deref(),
        expires_at: expires,
    };
    let token = kho::credentials::create_token(&app.db, &new).await?;
    if let (Some(name), Some(code)) = (name, agency.as_deref()) {
        let agency = app
            .config
            .agencies
            .0
            .iter()
            .find(|a| a.code == code)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("--agency {code}: not in KHO_AGENCIES"))?;
        let key = app.keys.issue_staff(&name, &agency).await?;
        db::tokens::bind_signing_key(&app.db, &token, &key.id).await?;
        eprintln!("personal certificate for {name}: serial {}", key.serial);
    }
    println!("{token}");
    Ok(())
}

/// `kho users create`: an account under the admin pages' rule, its password from
/// `KHO_PASSWORD` or standard input.
async fn create_user(config: kho::Config, command: UsersCommand) -> anyhow::Result<()> {
    let UsersCommand::Create {
        role,
        username,
        subject,
        agency,
        org_role,
        name,
    } = command
    else {
        anyhow::bail!("not an account creation");
    };
    // What the role is bound to is checked before the password is asked for.
    bound(
        role,
        subject.as_deref(),
        agency.as_deref(),
        org_role.as_deref(),
        &config,
    )?;
    let password = match std::env::var("KHO_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    // The admin pages' rule: binding, username, password, a staff certificate.
    let app = App::open(config).await?;
    let id = kho::accounts::create_account(
        &app.db,
        &app.keys,
        &app.config.agencies.0,
        "-",
        &db::accounts::NewUser {
            username: &username,
            password_hash: "",
            role,
            subject_id: subject.as_deref(),
            agency: agency.as_deref(),
            org_role: org_role.as_deref(),
            display_name: name.as_deref(),
        },
        &password,
    )
    .await?;
    println!("{id}");
    Ok(())
}

/// `kho watch DIR`: submit each complete file once, follow its jobs; the exit code is 1
/// when any failed.
async fn watch(config: kho::Config, command: Command) -> anyhow::Result<i32> {
    let Command::Watch {
        dir,
        owner,
        split,
        manifest,
        interval_ms,
        settle_ms,
        once,
        agency,
    } = command
    else {
        anyhow::bail!("not `kho watch`");
    };
    let owner = owner.as_deref().map(parse_owner).transpose()?;
    let uploader = config
        .operator(agency.as_deref())
        .map_err(anyhow::Error::msg)?;
    let app = App::open(config).await?;
    let failed = kho::watch::run(
        app,
        kho::watch::Options {
            dir,
            owner,
            split,
            interval: std::time::Duration::from_millis(interval_ms.max(50)),
            settle: std::time::Duration::from_millis(settle_ms),
            once,
            manifest: manifest
                .as_deref()
                .map(kho::stack::read_manifest)
                .transpose()?,
            uploader,
        },
    )
    .await?;
    Ok(if failed > 0 { 1 } else { 0 })
}

/// `kho ingest`: files to documents with a progress bar; the exit code is 1 when any
/// failed.
async fn ingest(config: kho::Config, command: Command) -> anyhow::Result<i32> {
    let Command::Ingest {
        paths,
        owner,
        split,
        manifest,
        report,
        one_document,
        wait,
        agency,
    } = command
    else {
        anyhow::bail!("not `kho ingest`");
    };
    let manifest = manifest
        .as_deref()
        .map(kho::stack::read_manifest)
        .transpose()?;
    let owner = owner.as_deref().map(parse_owner).transpose()?;
    let uploader = config
        .operator(agency.as_deref())
        .map_err(anyhow::Error::msg)?;
    let app = App::open(config).await?;
    let how = if split {
        kho::stack::Grouping::Split
    } else if one_document {
        kho::stack::Grouping::OneDocument
    } else {
        kho::stack::Grouping::FilePerDocument
    };
    let failed = ingest::run(
        app,
        &uploader,
        &paths,
        owner.as_ref(),
        how,
        manifest.as_ref(),
        wait,
        report.as_deref(),
    )
    .await?;
    Ok(if failed > 0 { 1 } else { 0 })
}
