-- The table the example's trigger watches (SQLite; PostgreSQL: create-customers.postgresql.sql).
CREATE TABLE Customers (
    CustomerId INTEGER PRIMARY KEY AUTOINCREMENT,
    Name TEXT NOT NULL,
    Email TEXT,
    City TEXT
);
