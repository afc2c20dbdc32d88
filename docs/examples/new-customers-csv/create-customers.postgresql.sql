-- The table the example's trigger watches, on PostgreSQL (names quoted to keep their case).
CREATE TABLE "Customers" (
    "CustomerId" INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "Name" TEXT NOT NULL,
    "Email" TEXT,
    "City" TEXT
);
