//! `quarantine`: the rows connectors rejected, table by table, with source, line or
//! offset, column, raw value and reason.

use skillbrain_connectors::Table;

use crate::cli::{Context, QuarantineArgs, print_batches};

/// Prints the quarantined rows `args` asks for; says so when there are none.
pub async fn list(ctx: &Context, args: &QuarantineArgs) -> anyhow::Result<()> {
    let tables = match &args.table {
        Some(name) => vec![name.parse::<Table>()?],
        None => Table::ALL.to_vec(),
    };
    let mut total = 0;
    for table in tables {
        let Some((_, batches)) = ctx.lake.read_quarantine(table).await? else {
            continue;
        };
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        if rows == 0 {
            continue;
        }
        total += rows;
        let skip = rows.saturating_sub(args.limit);
        let shown = arrow::compute::concat_batches(&batches[0].schema(), &batches)?
            .slice(skip, rows - skip);
        if args.format == "table" {
            println!(
                "{table}: {rows} quarantined rows{}",
                if skip > 0 {
                    format!(" (the last {} shown)", rows - skip)
                } else {
                    String::new()
                }
            );
        }
        print_batches(&[shown], &args.format)?;
    }
    if total == 0 && args.format == "table" {
        println!("no quarantined rows");
    }
    Ok(())
}
