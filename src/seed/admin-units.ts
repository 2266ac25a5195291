import unitsFile from './data/nghe-an-admin-units.json';

/** Shape of the GSO administrative-unit file shipped with the seed. */
interface UnitsFile {
  province: { code: string; name: string };
  edition2024: {
    inForceOn: string;
    replacedOn: string;
    districts: Array<{ code: string; name: string; type: string; communes: Array<{ code: string; name: string; type: string }> }>;
  };
  edition2025: {
    inForceFrom: string;
    communes: Array<{
      code: string;
      name: string;
      type: string;
      mergedFrom: Array<{ code: string; name: string; share: 'full' | 'partial' }>;
    }>;
  };
}

export const adminUnits: UnitsFile = unitsFile as UnitsFile;

/**
 * The file confirms the 2024 edition in force on 2024-05-01. It is taken as valid from the start of the
 * 2024 plan year, the first period the hub holds data for; no change between those dates is recorded.
 */
export const EDITION_2024_VALID_FROM = '2024-01-01';
