//! The `xietong` command line: parses arguments and calls the library.

mod cli_progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use tokio::net::TcpListener;
use xietong::config::{DatabaseArgs, ServeArgs};
use xietong::{AppState, db};

/// mimalloc instead of glibc's malloc: a GraphQL answer allocates per
/// field, and with glibc a quarter of the service's time went to malloc and
/// free (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "xietong",
    version,
    about = "协同: district–county pairing coordination (对口协同发展) as a service"
)]
struct Cli {
    #[command(flatten)]
    database: DatabaseArgs,

    /// No progress bar or progress lines on standard error while long work
    /// runs (generate, import, export, demo, migrate); the final report is
    /// the same.
    #[arg(long, short, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Migrate the database and serve the HTTP API (the default).
    Serve(Box<ServeArgs>),
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage integration clients (provincial and city platforms).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage webhook endpoints and their deliveries.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Print an API schema to standard output.
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Import regions, pairings, a task list, a unit pairing table or a chronicle.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export a plan as its document lays it out, with its progress.
    Export {
        /// The plan's id.
        #[arg(long)]
        plan: uuid::Uuid,
        #[arg(long, default_value = "xlsx", value_parser = ["xlsx", "csv"])]
        format: String,
        /// The file to write; standard output when omitted.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Write the bulletin (季通报) of a period: the city's, a region's or a
    /// pairing's, as a workbook with its charts (or the figures as CSV).
    Bulletin {
        /// `2025-Q4`, `2025-H1`, `2025-03` or `2025`.
        #[arg(long)]
        period: String,
        /// A region's bulletin (its name).
        #[arg(long, conflicts_with = "pairing")]
        region: Option<String>,
        /// A pairing's bulletin: HELPER:RECIPIENT, e.g. 渝中区:巫溪县.
        #[arg(long)]
        pairing: Option<String>,
        /// The day late reports are judged on (YYYY-MM-DD); today when omitted.
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
        #[arg(long, default_value = "xlsx", value_parser = ["xlsx", "csv"])]
        format: String,
        /// The file to write; standard output when omitted.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Write synthetic data in bulk, for benchmarks (no audit entries).
    #[command(subcommand)]
    Generate(GenerateCommand),
    /// Check the figures kept per task and plan (progress, approved
    /// actuals, reporting units, today's lights, reports owed) against a recomputation
    /// from every report: prints `{"differences": N, ...}`, each difference
    /// on standard error, and exits 1 when there is one. `--rebuild`
    /// rewrites them first.
    Figures {
        /// Rewrite every task's kept figures from what is stored, then check.
        #[arg(long)]
        rebuild: bool,
    },
    /// Ask the service on this machine whether it is ready (`GET /readyz`):
    /// exit 0 when it answers 200, 1 otherwise. For a container's
    /// HEALTHCHECK (the image has no curl).
    Healthcheck {
        /// The address the service listens on; `0.0.0.0` is asked on 127.0.0.1.
        #[arg(long, env = "XIETONG_BIND", default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
    },
    /// Load the public demo data and one demo account per role.
    Demo {
        /// The password of the demo users; a random one is printed for each when omitted.
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum GenerateCommand {
    /// A city: the demo's regions and pairings and synthetic ones beyond,
    /// a plan per pairing and year, its tasks, units, targets and monthly reports.
    City {
        #[arg(long, default_value_t = 20)]
        pairings: usize,
        #[arg(long, default_value_t = 5)]
        years: i32,
        /// The last plan year.
        #[arg(long, default_value_t = 2025)]
        last_year: i32,
        /// Tasks per plan.
        #[arg(long, default_value_t = 200)]
        tasks: i32,
        /// Monthly reports per task.
        #[arg(long, default_value_t = 12)]
        months: u32,
        /// Projects (援建项目) per pairing and year, with milestones and money.
        #[arg(long, default_value_t = 20)]
        projects: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Monthly approved reports by the lead unit for every task that has none.
    Reports {
        #[arg(long, default_value_t = 12)]
        months: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// What every import takes.
#[derive(clap::Args, Debug)]
struct ImportFlags {
    /// Report what would happen and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// `text` for people, `json` for machines.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// Regions in the layout of fixtures/regions.csv (code,name,kind,cluster).
    Regions {
        file: std::path::PathBuf,
        #[command(flatten)]
        flags: ImportFlags,
    },
    /// Pairings in the layout of fixtures/pairings.csv (helper,recipient,co_helpers).
    Pairings {
        file: std::path::PathBuf,
        #[command(flatten)]
        flags: ImportFlags,
    },
    /// A plan's task list (任务清单), CSV or XLSX, into a new plan.
    Tasks {
        file: std::path::PathBuf,
        #[arg(long)]
        year: i32,
        #[arg(long)]
        title: String,
        /// HELPER:RECIPIENT, e.g. 渝中区:巫溪县.
        #[arg(long, conflicts_with = "region", required_unless_present = "region")]
        pairing: Option<String>,
        /// A region's own plan.
        #[arg(long)]
        region: Option<String>,
        /// The region of columns that name no side (default: the recipient).
        #[arg(long)]
        issuer: Option<String>,
        #[arg(long)]
        doc_number: Option<String>,
        #[arg(long)]
        create_missing_units: bool,
        /// NAME=UNIT: the document's NAME is the unit UNIT (remembered as its alias).
        #[arg(long = "alias")]
        aliases: Vec<String>,
        #[command(flatten)]
        flags: ImportFlags,
    },
    /// A pairing's unit pairing table (部门街镇结对帮扶表).
    UnitPairs {
        file: std::path::PathBuf,
        /// HELPER:RECIPIENT, e.g. 渝中区:巫溪县.
        #[arg(long)]
        pairing: String,
        #[arg(long)]
        create_missing_units: bool,
        #[arg(long = "alias")]
        aliases: Vec<String>,
        #[command(flatten)]
        flags: ImportFlags,
    },
    /// A pairing's project ledger (项目台账), CSV or XLSX.
    Projects {
        file: std::path::PathBuf,
        /// HELPER:RECIPIENT, e.g. 渝中区:巫溪县.
        #[arg(long)]
        pairing: String,
        /// The year of the pairing's work they belong to.
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        flags: ImportFlags,
    },
    /// A pairing's chronicle (大事记): date,title,amount,amount_unit.
    Events {
        file: std::path::PathBuf,
        /// HELPER:RECIPIENT
        #[arg(long)]
        pairing: String,
        #[command(flatten)]
        flags: ImportFlags,
    },
}

#[derive(Subcommand, Debug)]
enum SchemaCommand {
    /// The OpenAPI 3.1 document of the REST API, as served at /api/openapi.json.
    Openapi,
    /// The GraphQL schema (SDL) of the API served at /graphql.
    Graphql,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        /// admin, coordinator, unit_user or viewer.
        #[arg(long)]
        role: String,
        /// The user's unit: its id, or `REGION:UNIT NAME` (`渝中区:区商务委`).
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
enum WebhookCommand {
    /// Register an endpoint as an administrator; prints it with its secret
    /// (shown only now).
    Add {
        /// `https://…` (or `http://…`).
        #[arg(long)]
        url: String,
        /// An event type (`report.submitted`, `task.updated`, … or `*`);
        /// repeat for more.
        #[arg(long = "event", required = true)]
        events: Vec<String>,
        /// Only the changes of this region's plans.
        #[arg(long)]
        region: Option<uuid::Uuid>,
        /// Only the changes of this pairing.
        #[arg(long)]
        pairing: Option<uuid::Uuid>,
        /// Only the changes of this plan.
        #[arg(long)]
        plan: Option<uuid::Uuid>,
        #[command(flatten)]
        reach: WebhookReach,
    },
    /// Print every endpoint, one JSON object a line.
    List,
    /// Send an endpoint a `webhook.test` event from here, now (with what
    /// else is due), and print how it went; exits 1 unless delivered.
    Test {
        /// The endpoint's id.
        id: uuid::Uuid,
        #[command(flatten)]
        reach: WebhookReach,
    },
    /// Queue a delivery again by its id (its `webhook-id`); a running
    /// service sends it.
    Redeliver {
        /// The delivery's id.
        id: uuid::Uuid,
    },
}

/// Where deliveries may go, as the service reads it.
#[derive(clap::Args, Debug)]
struct WebhookReach {
    /// Allow private, loopback and link-local addresses.
    #[arg(long, env = "XIETONG_WEBHOOK_ALLOW_PRIVATE", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    allow_private: bool,
}

#[derive(Subcommand, Debug)]
enum ClientCommand {
    /// Create a client and print its id and secret (shown only now).
    Create {
        #[arg(long)]
        name: String,
        /// Chosen client id; made up when omitted.
        #[arg(long)]
        client_id: Option<String>,
        /// `read` and/or `write`.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// What a token request naming no scope gets; `read` when omitted.
        #[arg(long = "default-scope")]
        default_scopes: Vec<String>,
    },
    /// Give a client a new secret and print it; the old one stops working.
    Rotate { client_id: String },
    /// Revoke a client.
    Revoke { client_id: String },
    /// Give a client a grant: what it serves (a region, a pairing, a plan,
    /// or every row) and whether it writes there.
    Grant {
        client_id: String,
        /// A region by name: its plans and those of its pairings.
        #[arg(long, group = "target")]
        region: Option<String>,
        /// A pairing: HELPER:RECIPIENT, e.g. 渝中区:巫溪县.
        #[arg(long, group = "target")]
        pairing: Option<String>,
        /// A plan by id.
        #[arg(long, group = "target")]
        plan: Option<uuid::Uuid>,
        /// Every row (unrestricted).
        #[arg(long, group = "target")]
        all: bool,
        /// `read` or `write`.
        #[arg(long)]
        scope: String,
    },
    /// List a client's grants.
    Grants { client_id: String },
    /// Take a grant from a client.
    Ungrant { client_id: String, grant_id: uuid::Uuid },
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if let Some(Command::Schema(SchemaCommand::Openapi)) = cli.command {
        // Needs no database and no logging: the document only.
        print!("{}", xietong::http::openapi::document_json());
        return ExitCode::SUCCESS;
    }
    if let Some(Command::Schema(SchemaCommand::Graphql)) = cli.command {
        print!("{}", xietong::graphql::sdl());
        return ExitCode::SUCCESS;
    }
    if cli.command.is_none() {
        // No subcommand means `serve`, with its environment.
        match ServeArgs::from_environment() {
            Ok(serve) => cli.command = Some(Command::Serve(Box::new(serve))),
            Err(err) => err.exit(),
        }
    }
    init_tracing(&cli.database.log, cli.database.log_format);
    if let Some(path) = cli.database.database_url_file.as_ref().filter(|p| !p.is_empty()) {
        match xietong::config::read_secret_file(path.as_ref()) {
            Ok(url) => cli.database.database_url = url,
            Err(err) => {
                eprintln!("xietong: DATABASE_URL_FILE: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("xietong: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let quiet = cli.quiet;
    let result = runtime.block_on(async {
        use cli_progress::while_running;
        match cli.command {
            Some(Command::Migrate) => while_running("migrate", quiet, run_migrate(&cli.database)).await,
            Some(Command::User(command)) => run_user(&cli.database, command).await,
            Some(Command::Client(command)) => run_client(&cli.database, command).await,
            Some(Command::Webhook(command)) => run_webhook(&cli.database, command).await,
            Some(Command::Schema(_)) => Ok(()),
            Some(Command::Import(command)) => while_running("import", quiet, run_import(&cli.database, command)).await,
            Some(Command::Generate(command)) => run_generate(&cli.database, command, quiet).await,
            Some(Command::Figures { rebuild }) => {
                while_running("figures", quiet, run_figures(&cli.database, rebuild)).await
            }
            Some(Command::Demo { password }) => {
                while_running("demo", quiet, run_demo(&cli.database, password.as_deref())).await
            }
            Some(Command::Export { plan, format, output }) => {
                while_running("export", quiet, run_export(&cli.database, plan, &format, output)).await
            }
            Some(Command::Bulletin {
                period,
                region,
                pairing,
                on,
                format,
                output,
            }) => {
                let bulletin = run_bulletin(
                    &cli.database,
                    &period,
                    region.as_deref(),
                    pairing.as_deref(),
                    on,
                    &format,
                    output,
                );
                while_running("bulletin", quiet, bulletin).await
            }
            Some(Command::Serve(serve)) => run_serve(&cli.database, *serve).await,
            Some(Command::Healthcheck { bind }) => match xietong::http::health::probe(bind).await {
                Ok(200) => Ok(()),
                Ok(status) => Err(anyhow::anyhow!("not ready: /readyz answered {status}")),
                Err(err) => Err(anyhow::anyhow!("not ready: {err}")),
            },
            None => Err(anyhow::anyhow!("no command")),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xietong: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(filter: &str, format: xietong::config::LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let lines = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        xietong::config::LogFormat::Text => lines.with_ansi(std::io::stderr().is_terminal()).init(),
        // One object per line, the event's fields at its top level.
        xietong::config::LogFormat::Json => lines.json().flatten_event(true).with_ansi(false).init(),
    }
}

async fn open(database: &DatabaseArgs) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let conn = db::connect_with(&database.database_url, database.database_pool_size).await?;
    db::migrate(&conn)
        .await
        .map_err(|e| anyhow::anyhow!("cannot migrate {}: {e}", db::mask_url(&database.database_url)))?;
    Ok(conn)
}

/// The streaming replica at `url` of the PostgreSQL database of
/// `database`, opened with its pool size; it is not migrated (it replays
/// the primary).
async fn open_replica(database: &DatabaseArgs, url: &str) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let primary_url = database.database_url.as_str();
    let postgres = |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !postgres(primary_url) || !postgres(url) {
        anyhow::bail!(
            "DATABASE_READ_URL names a PostgreSQL streaming replica of a PostgreSQL DATABASE_URL; \
             SQLite has none (its readers share the file)"
        );
    }
    let replica = db::connect_with(url, database.database_pool_size)
        .await
        .map_err(|e| anyhow::anyhow!("DATABASE_READ_URL: {e}"))?;
    tracing::info!(replica = %db::mask_url(url), "reads go to the replica");
    Ok(replica)
}

async fn run_migrate(database: &DatabaseArgs) -> anyhow::Result<()> {
    open(database).await?;
    eprintln!("xietong: {} is up to date", db::mask_url(&database.database_url));
    Ok(())
}

async fn run_figures(database: &DatabaseArgs, rebuild: bool) -> anyhow::Result<()> {
    use xietong::domain::{figures, light};
    let db = open(database).await?;
    let today = xietong::domain::Clock::system().today();
    if rebuild {
        let txn = db::begin_write(&db).await?;
        figures::refresh_all(&txn).await?;
        light::kept::forget_all(&txn).await?;
        txn.commit().await?;
        light::kept::keep(&db, today).await?;
    }
    let mut differences = figures::differences(&db).await?;
    differences.extend(light::kept::differences(&db, today).await?);
    for line in &differences {
        eprintln!("{line}");
    }
    println!(
        "{}",
        serde_json::json!({ "differences": differences.len(), "rebuilt": rebuild })
    );
    if !differences.is_empty() {
        anyhow::bail!(
            "{} kept figure(s) differ from a recomputation: `xietong figures --rebuild` rewrites them",
            differences.len()
        );
    }
    Ok(())
}

async fn run_serve(database: &DatabaseArgs, serve: ServeArgs) -> anyhow::Result<()> {
    serve.checked_cors_origins().map_err(anyhow::Error::msg)?;
    serve.checked_trusted_proxies().map_err(anyhow::Error::msg)?;
    xietong::infra::storage::Storage::open(&serve.storage).map_err(|e| anyhow::anyhow!("XIETONG_STORAGE: {e}"))?;
    let given = serve
        .given_jwt_secret()
        .map_err(|e| anyhow::anyhow!("XIETONG_JWT_SECRET_FILE: {e}"))?;
    let secret = match &given {
        Some(secret) if secret.expose().len() >= 32 => secret.expose().as_bytes().to_vec(),
        // An empty value (a compose file passing an unset variable on) is
        // no value.
        Some(secret) if !secret.expose().trim().is_empty() => {
            anyhow::bail!("XIETONG_JWT_SECRET must be at least 32 characters")
        }
        _ => {
            eprintln!(
                "xietong: XIETONG_JWT_SECRET is not set: signing tokens with a random key; they end when the process does"
            );
            xietong::auth::secret::random_token()?.into_bytes()
        }
    };
    let read_url = serve
        .given_read_url()
        .map_err(|e| anyhow::anyhow!("DATABASE_READ_URL_FILE: {e}"))?;
    let conn = open(database).await?;
    let mut state = AppState::new(conn, &serve, &secret);
    if let Some(url) = read_url {
        state = state.with_replica(open_replica(database, url.expose()).await?);
    }
    let listener = TcpListener::bind(serve.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", serve.bind))?;
    let addr = listener.local_addr()?;
    let shutdown = xietong::shutdown_signal().map_err(|e| anyhow::anyhow!("cannot listen for signals: {e}"))?;
    tracing::info!(database = %db::mask_url(&database.database_url), "xietong listening on http://{addr}");
    xietong::serve(listener, state, shutdown).await?;
    tracing::info!("xietong stopped");
    Ok(())
}

/// A unit named on the command line: its id, or `REGION:UNIT NAME`.
async fn resolve_unit(conn: &sea_orm::DatabaseConnection, text: &str) -> anyhow::Result<uuid::Uuid> {
    use xietong::domain::{region, unit};
    if let Ok(id) = text.parse::<uuid::Uuid>() {
        return Ok(id);
    }
    let (region_name, unit_name) = text
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("name the unit by its id or as REGION:UNIT NAME, not `{text}`"))?;
    let region = region::find_by_name(conn, region_name).await?;
    match unit::resolve_name(conn, region.id, unit_name).await? {
        Some(unit::NamedUnit::Unit(id)) => Ok(id),
        Some(unit::NamedUnit::Group(_)) => anyhow::bail!("{unit_name} is a unit group, not a unit"),
        None => anyhow::bail!("{region_name} has no unit named {unit_name}"),
    }
}

async fn run_user(database: &DatabaseArgs, command: UserCommand) -> anyhow::Result<()> {
    use xietong::domain::{Caller, user};
    let UserCommand::Create {
        username,
        role,
        unit,
        display_name,
        password_stdin: _,
    } = command;
    let conn = open(database).await?;
    let role = role.parse().map_err(|e| anyhow::anyhow!("--role: {e}"))?;
    let unit_id = match unit {
        Some(text) => Some(resolve_unit(&conn, &text).await?),
        None => None,
    };
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\n', '\r']).to_owned();
    let created = user::create(
        &conn,
        &Caller::system(),
        user::NewUser {
            username,
            display_name,
            password,
            role,
            unit_id,
        },
    )
    .await
    .map_err(describe)?;
    println!("{}", serde_json::to_string_pretty(&created)?);
    Ok(())
}

async fn run_client(database: &DatabaseArgs, command: ClientCommand) -> anyhow::Result<()> {
    use xietong::domain::{Caller, client};
    let conn = open(database).await?;
    let system = Caller::system();
    let issued = match command {
        ClientCommand::Create {
            name,
            client_id,
            scopes,
            default_scopes,
        } => client::create(
            &conn,
            &system,
            client::NewClient {
                client_id,
                name,
                scopes,
                default_scopes,
            },
        )
        .await
        .map_err(describe)?,
        ClientCommand::Rotate { client_id } => {
            let found = client::find_by_client_id(&conn, &client_id).await.map_err(describe)?;
            client::rotate_secret(&conn, &system, found.id)
                .await
                .map_err(describe)?
        }
        ClientCommand::Revoke { client_id } => {
            let found = client::find_by_client_id(&conn, &client_id).await.map_err(describe)?;
            let revoked = client::revoke(&conn, &system, found.id).await.map_err(describe)?;
            println!("{}", serde_json::to_string_pretty(&revoked)?);
            return Ok(());
        }
        ClientCommand::Grant {
            client_id,
            region,
            pairing,
            plan,
            all,
            scope,
        } => {
            let found = client::find_by_client_id(&conn, &client_id).await.map_err(describe)?;
            let region_id = region_id_named(&conn, region.as_deref()).await?;
            let pairing_id = match pairing {
                Some(text) => {
                    let (helper, recipient) = pairing_regions(&conn, &text).await?;
                    Some(
                        xietong::domain::pairing::find_by_regions(&conn, helper.id, recipient.id)
                            .await
                            .map_err(describe)?
                            .ok_or_else(|| anyhow::anyhow!("{} helps no {}", helper.name, recipient.name))?
                            .id,
                    )
                }
                None => None,
            };
            let kind = match (all, region_id, pairing_id, plan) {
                (true, ..) => "all",
                (_, Some(_), ..) => "region",
                (_, _, Some(_), _) => "pairing",
                (_, _, _, Some(_)) => "plan",
                _ => anyhow::bail!("give --region REGION, --pairing HELPER:RECIPIENT, --plan ID or --all"),
            };
            let input = client::grants::GrantRequest::named(&scope, kind, region_id, pairing_id, plan)
                .and_then(client::grants::GrantRequest::grant)
                .map_err(describe)?;
            let (grant, _) = client::grants::add(&conn, &system, found.id, input)
                .await
                .map_err(describe)?;
            println!("{}", serde_json::to_string_pretty(&grant)?);
            return Ok(());
        }
        ClientCommand::Grants { client_id } => {
            let found = client::find_by_client_id(&conn, &client_id).await.map_err(describe)?;
            let grants = client::grants::list(&conn, &system, found.id).await.map_err(describe)?;
            println!("{}", serde_json::to_string_pretty(&grants)?);
            return Ok(());
        }
        ClientCommand::Ungrant { client_id, grant_id } => {
            let found = client::find_by_client_id(&conn, &client_id).await.map_err(describe)?;
            client::grants::remove(&conn, &system, found.id, grant_id)
                .await
                .map_err(describe)?;
            return Ok(());
        }
    };
    println!("{}", serde_json::to_string_pretty(&issued)?);
    Ok(())
}

async fn run_webhook(database: &DatabaseArgs, command: WebhookCommand) -> anyhow::Result<()> {
    use xietong::domain::page::PageRequest;
    use xietong::domain::webhook::{self, NewWebhook, WebhookFilter, deliver};
    use xietong::domain::{Caller, Clock};
    let conn = open(database).await?;
    let system = Caller::system();
    match command {
        WebhookCommand::Add {
            url,
            events,
            region,
            pairing,
            plan,
            reach,
        } => {
            let input = NewWebhook {
                url,
                events,
                filter: Some(WebhookFilter {
                    region_id: region,
                    pairing_id: pairing,
                    plan_id: plan,
                }),
                secret: None,
            };
            let made = webhook::create(&conn, &system, input, reach.allow_private)
                .await
                .map_err(describe)?;
            println!("{}", serde_json::to_string_pretty(&made)?);
        }
        WebhookCommand::List => {
            let mut request = PageRequest::new(Some(200), None).map_err(describe)?;
            loop {
                let page = webhook::list(&conn, &system, &request).await.map_err(describe)?;
                for endpoint in &page.items {
                    println!("{}", serde_json::to_string(endpoint)?);
                }
                match page.next_cursor {
                    Some(cursor) => request = PageRequest::new(Some(200), Some(&cursor)).map_err(describe)?,
                    None => break,
                }
            }
        }
        WebhookCommand::Test { id, reach } => {
            let queued = webhook::test(&conn, &system, id).await.map_err(describe)?;
            let sender = deliver::Sender::new(deliver::Settings {
                allow_private: reach.allow_private,
                ..Default::default()
            })?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            let sent = loop {
                deliver::deliver_due(&conn, Clock::system(), &sender)
                    .await
                    .map_err(describe)?;
                let found = webhook::delivery(&conn, &system, queued.id).await.map_err(describe)?;
                if found.attempts > 0 {
                    break found;
                }
                anyhow::ensure!(
                    std::time::Instant::now() < deadline,
                    "the test delivery {} was not attempted within 30 s (is another instance holding it?)",
                    queued.id
                );
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            };
            println!("{}", serde_json::to_string_pretty(&sent)?);
            anyhow::ensure!(
                sent.status == "delivered",
                "not delivered: {}",
                sent.last_error
                    .clone()
                    .or(sent.last_status.map(|s| format!("HTTP {s}")))
                    .unwrap_or_default()
            );
        }
        WebhookCommand::Redeliver { id } => {
            let queued = webhook::redeliver(&conn, &system, id).await.map_err(describe)?;
            println!("{}", serde_json::to_string_pretty(&queued)?);
        }
    }
    Ok(())
}

/// A domain error with its field messages, for the terminal.
fn describe(err: xietong::domain::DomainError) -> anyhow::Error {
    anyhow::anyhow!("{} ({})", err.describe(), err.code())
}

/// The id of the region named `name`, when one is named.
async fn region_id_named(conn: &sea_orm::DatabaseConnection, name: Option<&str>) -> anyhow::Result<Option<uuid::Uuid>> {
    match name {
        Some(name) => Ok(Some(
            xietong::domain::region::find_by_name(conn, name)
                .await
                .map_err(describe)?
                .id,
        )),
        None => Ok(None),
    }
}

/// The two regions of `HELPER:RECIPIENT`.
async fn pairing_regions(
    conn: &sea_orm::DatabaseConnection,
    text: &str,
) -> anyhow::Result<(xietong::domain::region::Region, xietong::domain::region::Region)> {
    let (helper, recipient) = text
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("--pairing takes HELPER:RECIPIENT, e.g. 渝中区:巫溪县"))?;
    let helper = xietong::domain::region::find_by_name(conn, helper)
        .await
        .map_err(describe)?;
    let recipient = xietong::domain::region::find_by_name(conn, recipient)
        .await
        .map_err(describe)?;
    Ok((helper, recipient))
}

fn read_file(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        .len();
    if size > xietong::documents::table::MAX_FILE_BYTES as u64 {
        anyhow::bail!(
            "{}: larger than {} bytes",
            path.display(),
            xietong::documents::table::MAX_FILE_BYTES
        );
    }
    std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Prints a report in the asked format and fails when it is not ok.
fn show<T: serde::Serialize>(report: &T, ok: bool, format: &str, text: impl FnOnce() -> String) -> anyhow::Result<()> {
    if format == "json" {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print!("{}", text());
    }
    if ok {
        Ok(())
    } else {
        Err(anyhow::anyhow!("the import failed; nothing was written"))
    }
}

fn problems_text(problems: &[xietong::documents::tasks::ImportProblem]) -> String {
    problems
        .iter()
        .map(|p| {
            let at = match (p.line, p.column.as_deref()) {
                (Some(l), Some(c)) => format!("line {l}, {c}: "),
                (Some(l), None) => format!("line {l}: "),
                (None, Some(c)) => format!("{c}: "),
                (None, None) => String::new(),
            };
            let hint = p.suggestion.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
            format!("  ✗ {at}{}{hint}\n", p.message)
        })
        .collect()
}

fn reference_text(what: &str, r: &xietong::documents::reference::ReferenceReport) -> String {
    let mode = if r.dry_run { " (dry run: nothing written)" } else { "" };
    let mut out = format!("{what}: {} to create, {} already there{mode}\n", r.created, r.unchanged);
    for u in &r.units_created {
        out.push_str(&format!("  + unit {u}\n"));
    }
    for a in &r.aliases_added {
        out.push_str(&format!("  + alias {a}\n"));
    }
    out.push_str(&problems_text(&r.problems));
    out
}

async fn run_import(database: &DatabaseArgs, command: ImportCommand) -> anyhow::Result<()> {
    use xietong::documents::{events, reference, tasks};
    use xietong::domain::Caller;
    let conn = open(database).await?;
    let system = Caller::system();
    match command {
        ImportCommand::Regions { file, flags } => {
            let r = reference::regions(&conn, &system, &read_file(&file)?, flags.dry_run)
                .await
                .map_err(describe)?;
            show(&r, r.ok, &flags.format, || reference_text("regions", &r))
        }
        ImportCommand::Pairings { file, flags } => {
            let r = reference::pairings(&conn, &system, &read_file(&file)?, flags.dry_run)
                .await
                .map_err(describe)?;
            show(&r, r.ok, &flags.format, || reference_text("pairings", &r))
        }
        ImportCommand::UnitPairs {
            file,
            pairing,
            create_missing_units,
            aliases,
            flags,
        } => {
            let (helper, recipient) = pairing_regions(&conn, &pairing).await?;
            let options = reference::UnitPairImport {
                helper: helper.name,
                recipient: recipient.name,
                create_missing_units,
                aliases: tasks::parse_aliases(&aliases, "--alias").map_err(describe)?,
                dry_run: flags.dry_run,
            };
            let r = reference::unit_pairs(&conn, &system, &read_file(&file)?, &options)
                .await
                .map_err(describe)?;
            show(&r, r.ok, &flags.format, || reference_text("unit pairs", &r))
        }
        ImportCommand::Projects {
            file,
            pairing,
            year,
            flags,
        } => {
            let (helper, recipient) = pairing_regions(&conn, &pairing).await?;
            let found = xietong::domain::pairing::find_by_regions(&conn, helper.id, recipient.id)
                .await
                .map_err(describe)?
                .ok_or_else(|| anyhow::anyhow!("{pairing} is not a pairing"))?;
            let options = xietong::documents::projects::ProjectImport {
                pairing_id: found.id,
                year,
                dry_run: flags.dry_run,
            };
            let r = xietong::documents::projects::import(&conn, &system, &read_file(&file)?, &options)
                .await
                .map_err(describe)?;
            show(&r, r.ok, &flags.format, || reference_text("projects", &r))
        }
        ImportCommand::Events { file, pairing, flags } => {
            let (helper, recipient) = pairing_regions(&conn, &pairing).await?;
            let found = xietong::domain::pairing::find_by_regions(&conn, helper.id, recipient.id)
                .await
                .map_err(describe)?
                .ok_or_else(|| anyhow::anyhow!("{pairing} is not a pairing"))?;
            let r = events::import(&conn, &system, &read_file(&file)?, found.id, flags.dry_run)
                .await
                .map_err(describe)?;
            show(&r, r.ok, &flags.format, || reference_text("events", &r))
        }
        ImportCommand::Tasks {
            file,
            year,
            title,
            pairing,
            region,
            issuer,
            doc_number,
            create_missing_units,
            aliases,
            flags,
        } => {
            let owner = match (&pairing, &region) {
                (Some(text), _) => {
                    let (helper, recipient) = pairing_regions(&conn, text).await?;
                    tasks::Owner::Pairing {
                        helper: helper.id,
                        recipient: recipient.id,
                    }
                }
                (None, Some(name)) => tasks::Owner::Region(
                    xietong::domain::region::find_by_name(&conn, name)
                        .await
                        .map_err(describe)?
                        .id,
                ),
                (None, None) => anyhow::bail!("give --pairing HELPER:RECIPIENT or --region REGION"),
            };
            let issuer = region_id_named(&conn, issuer.as_deref()).await?;
            let options = tasks::TaskImport {
                year,
                title,
                owner,
                issuer,
                doc_number,
                issued_on: None,
                create_missing_units,
                aliases: tasks::parse_aliases(&aliases, "--alias").map_err(describe)?,
                dry_run: flags.dry_run,
            };
            let r = tasks::import(&conn, &system, &read_file(&file)?, &options)
                .await
                .map_err(describe)?;
            show(&r, r.ok, &flags.format, || {
                let mode = if r.dry_run { " (dry run: nothing written)" } else { "" };
                let mut out = format!("{} tasks, {} targets{mode}\n", r.tasks, r.targets);
                for row in &r.rows {
                    let units: Vec<String> = row
                        .lead
                        .iter()
                        .chain(&row.supporting)
                        .map(|u| match u.how.as_str() {
                            "unit" | "group" => u.name.clone(),
                            how => format!("{} ({how}: {})", u.written, u.name),
                        })
                        .collect();
                    let mark = if row.problems.iter().any(|p| !p.starts_with("the deadline")) {
                        "✗"
                    } else {
                        "✓"
                    };
                    out.push_str(&format!(
                        "{mark} line {} {}{}: {} targets; {}\n",
                        row.line,
                        row.section.as_deref().map(|s| format!("{s} ")).unwrap_or_default(),
                        row.seq,
                        row.targets.len(),
                        units.join("、")
                    ));
                }
                for u in &r.units_created {
                    out.push_str(&format!("  + unit {u}\n"));
                }
                for g in &r.groups_created {
                    out.push_str(&format!("  + group {g}\n"));
                }
                for a in &r.aliases_added {
                    out.push_str(&format!("  + alias {a}\n"));
                }
                out.push_str(&problems_text(&r.problems));
                if let Some(id) = r.plan_id {
                    out.push_str(&format!("plan {id}\n"));
                }
                out
            })
        }
    }
}

async fn run_demo(database: &DatabaseArgs, password: Option<&str>) -> anyhow::Result<()> {
    let conn = open(database).await?;
    let report = xietong::demo::load(&conn, password).await?;
    for step in &report.steps {
        println!("{step}");
    }
    println!();
    for c in &report.credentials {
        let unit = c.unit.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
        match &c.secret {
            Some(secret) => println!("{} {} [{}]{unit}: {secret} — {}", c.kind, c.name, c.role, c.note),
            None => println!("{} {} [{}]{unit}: {}", c.kind, c.name, c.role, c.note),
        }
    }
    Ok(())
}

async fn run_generate(database: &DatabaseArgs, command: GenerateCommand, quiet: bool) -> anyhow::Result<()> {
    use xietong::generate;
    let conn = cli_progress::while_running("migrate", quiet, open(database)).await?;
    let started = std::time::Instant::now();
    let generated = match command {
        GenerateCommand::City {
            pairings,
            years,
            last_year,
            tasks,
            months,
            projects,
            seed,
        } => {
            let options = generate::CityOptions {
                pairings,
                years,
                last_year,
                tasks,
                months,
                projects,
                seed,
            };
            let progress = cli_progress::Reporter::new("generate city", quiet);
            generate::city(&conn, &options, &progress).await?
        }
        GenerateCommand::Reports { months, seed } => {
            let progress = cli_progress::Reporter::new("generate reports", quiet);
            generate::reports_for_existing(&conn, months, seed, &progress).await?
        }
    };
    println!("{}", serde_json::to_string_pretty(&generated)?);
    eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

async fn run_export(
    database: &DatabaseArgs,
    plan: uuid::Uuid,
    format: &str,
    output: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    use xietong::documents::export::{self, Format};
    let conn = open(database).await?;
    let format = if format == "csv" { Format::Csv } else { Format::Xlsx };
    let bytes = export::export(&conn, &xietong::domain::Caller::system(), plan, format)
        .await
        .map_err(describe)?;
    write_output(output, &bytes)
}

async fn run_bulletin(
    database: &DatabaseArgs,
    period: &str,
    region: Option<&str>,
    pairing: Option<&str>,
    on: Option<chrono::NaiveDate>,
    format: &str,
    output: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    use xietong::domain::bulletin::{self, BulletinRequest};
    let conn = open(database).await?;
    let period = period.parse().map_err(|e| anyhow::anyhow!("--period: {e}"))?;
    let region_id = match region {
        Some(name) => Some(
            xietong::domain::region::find_by_name(&conn, name)
                .await
                .map_err(describe)?
                .id,
        ),
        None => None,
    };
    let pairing_id = match pairing {
        Some(text) => {
            let (helper, recipient) = pairing_regions(&conn, text).await?;
            let found = xietong::domain::pairing::find_by_regions(&conn, helper.id, recipient.id)
                .await
                .map_err(describe)?
                .ok_or_else(|| anyhow::anyhow!("{text} is not a pairing"))?;
            Some(found.id)
        }
        None => None,
    };
    let request = BulletinRequest {
        period,
        region_id,
        pairing_id,
        on,
    };
    let caller = xietong::domain::Caller::system();
    let found = bulletin::gather(&conn, &caller, request).await.map_err(describe)?;
    let bytes = if format == "csv" {
        xietong::documents::bulletin::figures_csv(&found)
    } else {
        xietong::documents::bulletin::workbook(&conn, &found).await
    }
    .map_err(describe)?;
    write_output(output, &bytes)
}

/// Writes `bytes` to the file named, or to standard output.
fn write_output(output: Option<std::path::PathBuf>, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    match output {
        Some(path) => std::fs::write(&path, bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => std::io::stdout().write_all(bytes)?,
    }
    Ok(())
}
