/**
 * Names (object keys, query-string parameters) whose values are credentials: never stored in the audit log nor
 * written to the logs, whatever their shape (`secrets`, `password`, `token`, `access_token`, `apiKey`, `key`, …).
 */
export const SENSITIVE_KEY = /secret|passw|pwd|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key|signature|^(key|sig|jwt|auth)$/i;
