//! Whole listings for the dialects whose vendors answer lists whole rather than by page.

use roster_core::directory::ListRequest;
use roster_core::page::{Page, MAX_LIMIT};
use roster_core::CoreError;
use std::future::Future;

/// Every record a listing selects, read page after page by cursor.
pub async fn every<T, F, Fut>(mut req: ListRequest, mut page: F) -> Result<Vec<T>, CoreError>
where
    F: FnMut(ListRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, CoreError>>,
{
    req.limit = MAX_LIMIT;
    req.count = false;
    req.offset = 0;
    let mut out = Vec::new();
    loop {
        let found = page(req.clone()).await?;
        out.extend(found.items);
        match found.next_cursor {
            Some(c) => req.cursor = Some(c),
            None => return Ok(out),
        }
    }
}
