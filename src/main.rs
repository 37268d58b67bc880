//! The `xietong` command line: parses arguments and calls the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use xietong::config::{DatabaseArgs, ServeArgs};
use xietong::{AppState, db};

#[derive(Parser, Debug)]
#[command(
    name = "xietong",
    version,
    about = "协同: district–county pairing coordination (对口协同发展) as a service"
)]
struct Cli {
    #[command(flatten)]
    database: DatabaseArgs,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Migrate the database and serve the HTTP API (the default).
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage integration clients (provincial and city platforms).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Print an API schema to standard output.
    #[command(subcommand)]
    Schema(SchemaCommand),
}

#[derive(Subcommand, Debug)]
enum SchemaCommand {
    /// The OpenAPI 3.1 document of the REST API, as served at /api/openapi.json.
    Openapi,
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
    },
    /// Give a client a new secret and print it; the old one stops working.
    Rotate { client_id: String },
    /// Revoke a client.
    Revoke { client_id: String },
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if let Some(Command::Schema(SchemaCommand::Openapi)) = cli.command {
        // Needs no database and no logging: the document only.
        print!("{}", xietong::http::openapi::document_json());
        return ExitCode::SUCCESS;
    }
    if cli.command.is_none() {
        // No subcommand means `serve`, with its flags and environment.
        cli = Cli::parse_from(std::env::args_os().chain([std::ffi::OsString::from("serve")]));
    }
    init_tracing(&cli.database.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("xietong: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Some(Command::Migrate) => run_migrate(&cli.database).await,
            Some(Command::User(command)) => run_user(&cli.database, command).await,
            Some(Command::Client(command)) => run_client(&cli.database, command).await,
            Some(Command::Schema(_)) => Ok(()),
            Some(Command::Serve(serve)) => run_serve(&cli.database, serve).await,
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

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn open(database: &DatabaseArgs) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let conn = db::connect(&database.database_url).await?;
    db::migrate(&conn)
        .await
        .map_err(|e| anyhow::anyhow!("cannot migrate {}: {e}", db::mask_url(&database.database_url)))?;
    Ok(conn)
}

async fn run_migrate(database: &DatabaseArgs) -> anyhow::Result<()> {
    open(database).await?;
    eprintln!("xietong: {} is up to date", db::mask_url(&database.database_url));
    Ok(())
}

async fn run_serve(database: &DatabaseArgs, serve: ServeArgs) -> anyhow::Result<()> {
    let conn = open(database).await?;
    let listener = TcpListener::bind(serve.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", serve.bind))?;
    let addr = listener.local_addr()?;
    let shutdown = xietong::shutdown_signal().map_err(|e| anyhow::anyhow!("cannot listen for signals: {e}"))?;
    tracing::info!(database = %db::mask_url(&database.database_url), "xietong listening on http://{addr}");
    let secret = match &serve.jwt_secret {
        Some(secret) if secret.expose().len() >= 32 => secret.expose().as_bytes().to_vec(),
        Some(_) => anyhow::bail!("XIETONG_JWT_SECRET must be at least 32 characters"),
        None => {
            eprintln!(
                "xietong: XIETONG_JWT_SECRET is not set: signing tokens with a random key; they end when the process does"
            );
            xietong::auth::secret::random_token()?.into_bytes()
        }
    };
    xietong::serve(listener, AppState::new(conn, &serve, &secret), shutdown).await?;
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
        } => client::create(
            &conn,
            &system,
            client::NewClient {
                client_id,
                name,
                scopes,
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
    };
    println!("{}", serde_json::to_string_pretty(&issued)?);
    Ok(())
}

/// A domain error with its field messages, for the terminal.
fn describe(err: xietong::domain::DomainError) -> anyhow::Error {
    let fields: Vec<String> = err
        .field_errors()
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    if fields.is_empty() {
        anyhow::anyhow!("{} ({})", err, err.code())
    } else {
        anyhow::anyhow!("{} ({})", fields.join("; "), err.code())
    }
}
