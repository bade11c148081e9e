// Global test setup: filled in as the database and app arrive.
export {};
