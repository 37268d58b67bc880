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
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
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
    xietong::serve(listener, AppState::new(conn, &serve), shutdown).await?;
    tracing::info!("xietong stopped");
    Ok(())
}
