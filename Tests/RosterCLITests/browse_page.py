"""Reads a serving node's public page in headless Chromium, as a person would,
with JavaScript switched off: the home page, a search, then the entry found.

Usage: browse_page.py BASE_URL SPKI_SHA256_BASE64 QUERY SCREENSHOT_FOLDER

Chromium trusts the node's key alone (--ignore-certificate-errors-spki-list), not
every certificate. Prints one JSON line of what each page showed.
"""
import json
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

base, spki, query, folder = sys.argv[1:5]
options = webdriver.ChromeOptions()
options.binary_location = '/usr/bin/chromium'
for argument in ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1200,1100',
                 '--ignore-certificate-errors-spki-list=' + spki, '--user-data-dir=' + tempfile.mkdtemp()]:
    options.add_argument(argument)
options.add_experimental_option('prefs', {'profile.managed_default_content_settings.javascript': 2})
driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)


def arrive(element_id):
    """Waits for the page a submit or a click leads to: neither waits for it to load."""
    return WebDriverWait(driver, 30).until(expected_conditions.presence_of_element_located((By.ID, element_id)))


seen = {}
try:
    driver.get(base + '/')
    seen['home_title'] = driver.title
    seen['agencies'] = driver.find_element(By.ID, 'agencies').text
    seen['categories'] = driver.find_element(By.ID, 'categories').text
    seen['revocations'] = driver.find_element(By.ID, 'revocations').text
    driver.save_screenshot(folder + '/page-home.png')

    box = driver.find_element(By.ID, 'q')
    box.send_keys(query)
    box.submit()
    seen['verdict'] = arrive('verdict').text
    seen['search_url'] = driver.current_url
    seen['results'] = driver.find_element(By.ID, 'results').text
    driver.save_screenshot(folder + '/page-search.png')

    driver.find_element(By.CSS_SELECTOR, '#results a').click()
    seen['resource'] = arrive('resource').text
    seen['entry_url'] = driver.current_url
    seen['status'] = driver.find_element(By.ID, 'status').text
    seen['basis'] = driver.find_element(By.ID, 'basis').text
    seen['agency'] = driver.find_element(By.ID, 'agency').text
    seen['history'] = driver.find_element(By.ID, 'history').text
    driver.save_screenshot(folder + '/page-entry.png')
finally:
    driver.quit()
print(json.dumps(seen))
