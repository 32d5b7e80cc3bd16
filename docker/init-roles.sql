CREATE ROLE hub_owner LOGIN PASSWORD 'change-me-owner';
CREATE ROLE hub_app LOGIN PASSWORD 'change-me-app';
CREATE DATABASE hub OWNER hub_owner ENCODING 'UTF8' TEMPLATE template0;
