/** aedes-persistence-level ships no types: a factory taking an abstract-level database. */
declare module 'aedes-persistence-level' {
  const levelPersistence: (db: unknown) => unknown;
  export default levelPersistence;
}
