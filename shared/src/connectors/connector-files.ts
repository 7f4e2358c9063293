/**
 * Where connector files are read from: a folder of `<name>.json` files,
 * packaged with the ingest-api service on AWS (`services/ingest-api/connectors/`)
 * and `$LAKE_HOME/connectors/` locally. A broken file is reported, not fatal:
 * the other connectors still run.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectorConfig } from './config';
import { ConnectorConfigError, parseConnectorConfig } from './config';

export interface LoadedConnectors {
  connectors: ConnectorConfig[];
  /** One line per file that could not be used, naming the file and what is wrong. */
  problems: string[];
}

/** Reads connector configurations; the composition roots decide where they live. */
export interface ConnectorSource {
  load(): Promise<LoadedConnectors>;
}

/** Every `*.json` file of `dir`, validated; a folder that does not exist holds no connectors. */
export function connectorFolder(dir: string): ConnectorSource {
  return {
    async load() {
      let files: string[];
      try {
        files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') return { connectors: [], problems: [] };
        throw error;
      }
      const connectors: ConnectorConfig[] = [];
      const problems: string[] = [];
      for (const file of files) {
        try {
          let parsed: unknown;
          try {
            parsed = JSON.parse(await readFile(join(dir, file), 'utf8'));
          } catch {
            throw new ConnectorConfigError(file, ['the file is not valid JSON']);
          }
          connectors.push(parseConnectorConfig(parsed, file, file.slice(0, -'.json'.length)));
        } catch (error) {
          if (!(error instanceof ConnectorConfigError)) throw error;
          problems.push(error.message);
        }
      }
      return { connectors, problems };
    },
  };
}
