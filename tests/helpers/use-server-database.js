// Setup file of the server-database test project: integration helpers read this to pick TEST_DATABASE_URL.
process.env.PILOTHUB_TEST_ON_SERVER = '1';
