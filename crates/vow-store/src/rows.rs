//! Reading a row's columns the same way from both backends, so that each capability maps its rows
//! once (`subjects::subject_from`, …) instead of once per backend.

use crate::StoreError;

/// A column value both drivers can read.
pub(crate) trait SqlValue:
    rusqlite::types::FromSql + for<'a> ::postgres::types::FromSql<'a>
{
}

impl<T> SqlValue for T where T: rusqlite::types::FromSql + for<'a> ::postgres::types::FromSql<'a> {}

/// A result row of either backend.
pub(crate) trait Cols {
    fn col<T: SqlValue>(&self, index: usize) -> Result<T, StoreError>;
}

impl Cols for rusqlite::Row<'_> {
    fn col<T: SqlValue>(&self, index: usize) -> Result<T, StoreError> {
        Ok(self.get(index)?)
    }
}

impl Cols for ::postgres::Row {
    fn col<T: SqlValue>(&self, index: usize) -> Result<T, StoreError> {
        Ok(self.try_get(index)?)
    }
}
