//! Statistics counters in SQLite: one row per (WIB day, counter), one mark per event counted,
//! written in one transaction (`docs/data-model.md`, "Statistics counters").

use async_trait::async_trait;
use rusqlite::params;

use prolink_app::ports::{CounterAdd, DayCounter, PortResult, StatsCounters};
use prolink_app::stats::{
    add_one_at_a_time, checked_adds, day_key, day_range, EventCounts, EVENT_MARK_DAYS,
};
use prolink_domain::calendar::DAY_MS;

use super::store::SqliteStore;
use super::{db_err, CachedStatements};

#[async_trait]
impl StatsCounters for SqliteStore {
    async fn add(&self, event_id: &str, adds: &[CounterAdd]) -> PortResult<bool> {
        let adds = checked_adds(event_id, adds)?;
        let event_id = event_id.to_owned();
        let now = self.clock.now_ms();
        self.db
            .call(move |conn| count_event(conn, &event_id, &adds, now))
            .await
    }

    async fn add_each(&self, events: &[EventCounts]) -> Vec<PortResult<bool>> {
        // One call (one savepoint: all or nothing) for all of them, when every event is
        // valid; otherwise, or when that call fails, one at a time, so that a bad event costs only itself.
        let checked: PortResult<Vec<(String, Vec<CounterAdd>)>> = events
            .iter()
            .map(|event| {
                Ok((
                    event.event_id.clone(),
                    checked_adds(&event.event_id, &event.adds)?,
                ))
            })
            .collect();
        if let Ok(checked) = checked {
            let now = self.clock.now_ms();
            let together = self
                .db
                .call(move |conn| {
                    let mut counted = Vec::with_capacity(checked.len());
                    for (event_id, adds) in &checked {
                        counted.push(count_event(conn, event_id, adds, now)?);
                    }
                    Ok(counted)
                })
                .await;
            if let Ok(counted) = together {
                return counted.into_iter().map(Ok).collect();
            }
        }
        add_one_at_a_time(self, events).await
    }

    async fn read_counters(&self, from_day: &str, to_day: &str) -> PortResult<Vec<DayCounter>> {
        let days = day_range(from_day, to_day)?;
        let (Some(first), Some(last)) = (days.first(), days.last()) else {
            return Ok(Vec::new());
        };
        let (first, last) = (day_key(*first), day_key(*last));
        self.db
            .call(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT day, counter, value FROM stat_counter
                         WHERE day >= ?1 AND day <= ?2 ORDER BY day, counter",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![first, last], |row| {
                        Ok(DayCounter {
                            day: row.get(0)?,
                            counter: row.get(1)?,
                            value: row.get(2)?,
                        })
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }
}

/// Marks `event_id` counted and applies its additions, inside the caller's call (atomic:
/// `SqliteDb::call` runs it in a savepoint);
/// `false` (nothing written) when it was already counted. An expired mark counts as absent, as
/// for dedup marks (it outlives any redelivery by weeks).
fn count_event(
    tx: &rusqlite::Connection,
    event_id: &str,
    adds: &[CounterAdd],
    now: i64,
) -> PortResult<bool> {
    let marked = tx
        .execute_cached(
            "INSERT INTO stat_event (event_id, counted_ms, expires_at_ms)
             VALUES (?1, ?2, ?3)
             ON CONFLICT (event_id) DO UPDATE
               SET counted_ms = excluded.counted_ms,
                   expires_at_ms = excluded.expires_at_ms
             WHERE stat_event.expires_at_ms <= ?2",
            params![event_id, now, now + EVENT_MARK_DAYS * DAY_MS],
        )
        .map_err(db_err)?;
    if marked == 0 {
        return Ok(false);
    }
    for add in adds {
        tx.execute_cached(
            "INSERT INTO stat_counter (day, counter, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (day, counter) DO UPDATE SET value = value + excluded.value",
            params![add.day, add.counter, add.delta],
        )
        .map_err(db_err)?;
    }
    Ok(true)
}
